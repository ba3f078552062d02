export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const spread = (values: number[]) => ({ min: Math.min(...values), max: Math.max(...values) });
export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
