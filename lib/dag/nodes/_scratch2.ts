import { _normalQuantile } from "./_normal_quantile.ts";
console.log(_normalQuantile(1e-300), _normalQuantile(1e-10), _normalQuantile(1e-20));
