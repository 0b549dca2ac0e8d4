/**
 * Reports (DESIGN §10): portfolio statistics from per-bar PnL / net-wealth series.
 */
export * from "./statistics.ts";
