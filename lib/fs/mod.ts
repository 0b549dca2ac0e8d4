/** Filesystem helpers shared by every area: atomic writes. */
export * from "./atomic_write.ts";
