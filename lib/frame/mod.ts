/** Frames held in JS arrays (`ColumnFrame`) and their conversion to and from Polars. */
export {
  type Column,
  ColumnFrame,
  f64Column,
  i64Column,
  int64Numbers,
  type NumericColumn,
  strColumn,
  stringAt,
  type StringColumn,
  timeColumn,
} from "./column_frame.ts";
export { lowerBound, upperBound } from "./sorted_search.ts";
