/**
 * Reading, editing and writing ONNX graphs in TypeScript (protobuf through `onnx-proto`), so that a
 * converter, the head writer of `rovlens train` and the tiny test models need no Python.
 * Only float32 initializers are supported: that is all our graphs use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.js';

export const { onnx } = onnxProto;
// The interfaces (I*) are what decoded and created messages both satisfy.
export type ModelProto = onnxProto.onnx.IModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** An opset with every operator our graphs use (Conv, Clip with tensor bounds, Pad, GlobalAveragePool...). */
export const OPSET = 13;

export function readModel(path: string): ModelProto {
  try {
    return onnx.ModelProto.decode(readFileSync(path));
  } catch (error) {
    throw new ModelError(`${path} is not an ONNX model: ${(error as Error).message.split('\n')[0]}`);
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function writeModel(path: string, model: ModelProto): void {
  writeFileSync(path, encodeModel(model));
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array | readonly number[]): TensorProto {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`tensor ${name}: ${data.length} values for dims [${dims.join(',')}]`);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: onnx.TensorProto.DataType.FLOAT,
    // rawData is little-endian float32, as ONNX specifies; copy so the buffer is exactly the tensor.
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
}

/** The float32 values of an initializer, whichever field the writer used. */
export function tensorValues(tensor: TensorProto): Float32Array {
  if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) throw new ModelError(`initializer ${tensor.name} is not float32`);
  if (tensor.rawData && tensor.rawData.length) {
    const bytes = tensor.rawData;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return Float32Array.from(tensor.floatData ?? []);
}

export function findInitializer(model: ModelProto, name: string): TensorProto {
  const found = model.graph?.initializer?.find((t) => t.name === name);
  if (!found) throw new ModelError(`the graph has no initializer named '${name}'`);
  return found;
}

/** Replaces an initializer's values in place, keeping its name and shape. */
export function replaceInitializer(model: ModelProto, name: string, values: Float32Array): void {
  const tensor = findInitializer(model, name);
  const dims = (tensor.dims ?? []).map(Number);
  const fresh = floatTensor(name, dims, values);
  tensor.rawData = fresh.rawData;
  tensor.floatData = [];
}

type AttributeValue = number | readonly number[] | string | TensorProto;

export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, AttributeValue> = {},
  name?: string,
): NodeProto {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = Object.entries(attributes).map(([key, value]) => {
    if (typeof value === 'string') return onnx.AttributeProto.create({ name: key, type: T.STRING, s: new TextEncoder().encode(value) });
    if (typeof value === 'number') {
      return Number.isInteger(value) && !FLOAT_ATTRIBUTES.has(key)
        ? onnx.AttributeProto.create({ name: key, type: T.INT, i: value })
        : onnx.AttributeProto.create({ name: key, type: T.FLOAT, f: value });
    }
    if (Array.isArray(value)) return onnx.AttributeProto.create({ name: key, type: T.INTS, ints: [...value] });
    return onnx.AttributeProto.create({ name: key, type: T.TENSOR, t: value as TensorProto });
  });
  return onnx.NodeProto.create({ opType, input: [...inputs], output: [...outputs], attribute, name: name ?? outputs[0] });
}

/** Attributes that ONNX defines as floats even when the value happens to be whole. */
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'epsilon', 'min', 'max', 'momentum', 'ratio', 'value']);

export type Dim = number | string;

export function valueInfo(name: string, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

export interface GraphSpec {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
  docString?: string;
}

export function buildModel(spec: GraphSpec): ModelProto {
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'rovlens',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
    docString: spec.docString ?? '',
    graph: onnx.GraphProto.create({
      name: spec.name,
      node: spec.nodes,
      initializer: spec.initializers,
      input: spec.inputs.map((i) => valueInfo(i.name, i.dims)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.dims)),
    }),
  });
}

export interface HeadWeights {
  /** Row-major [classes, features]. */
  weight: Float32Array;
  bias: Float32Array;
  classes: number;
}

/**
 * Appends a pooling-plus-linear head to a feature map `features` [N, K, h, w]:
 *   `<name>_logits` = Gemm(GlobalAveragePool(features), W^T) + b          [N, C]
 *   `<name>_cam`    = Conv(features, W as [C, K, 1, 1]) (no bias, no ReLU)  [N, C, h, w]
 * so mean over h,w of the CAM plus b equals the logits: the CAM is exact Grad-CAM before its ReLU.
 * Initializers are named `<name>_head_w` (Gemm, [C, K], transB=1), `<name>_head_b` and `<name>_cam_w`.
 */
export function headNodes(name: string, pooled: string, features: string, featureCount: number, head: HeadWeights) {
  const { weight, bias, classes } = head;
  return {
    nodes: [
      node('Gemm', [pooled, `${name}_head_w`, `${name}_head_b`], [`${name}_logits`], { transB: 1 }),
      node('Conv', [features, `${name}_cam_w`], [`${name}_cam`], { kernel_shape: [1, 1] }),
    ],
    initializers: [
      floatTensor(`${name}_head_w`, [classes, featureCount], weight),
      floatTensor(`${name}_head_b`, [classes], bias),
      floatTensor(`${name}_cam_w`, [classes, featureCount, 1, 1], weight),
    ],
  };
}

/** Writes new head weights into a graph built with `headNodes` (logits and CAM stay consistent). */
export function replaceHead(model: ModelProto, name: string, head: HeadWeights): void {
  replaceInitializer(model, `${name}_head_w`, head.weight);
  replaceInitializer(model, `${name}_head_b`, head.bias);
  replaceInitializer(model, `${name}_cam_w`, head.weight);
}
