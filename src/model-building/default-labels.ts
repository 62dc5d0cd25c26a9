/** The classes of the default model's heads, in the order its card lists them (the datathon's classes). */
export const FLOOR_LABELS = ['sandy', 'muddy', 'muddy-sand', 'reef'] as const;
export const ELEMENT_LABELS = ['ripples', 'fauna', 'algae', 'waste', 'rocks'] as const;
