/** The built-in model builders, registered in the default registry when this module loads. */
import { defaultRegistry } from "../registry.ts";
import { CrossSectionalBuilder } from "./cross_sectional_builder.ts";
import { RidgeBuilder } from "./ridge_builder.ts";
import { SmaCrossBuilder } from "./sma_cross_builder.ts";

export { CrossSectionalBuilder } from "./cross_sectional_builder.ts";
export { RidgeBuilder } from "./ridge_builder.ts";
export { SmaCrossBuilder } from "./sma_cross_builder.ts";

for (const builder of [new SmaCrossBuilder(), new CrossSectionalBuilder(), new RidgeBuilder()]) {
  if (!defaultRegistry.has(builder.name)) defaultRegistry.register(builder);
}
