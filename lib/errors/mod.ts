/** Error classes and the exit-code mapping shared by every area of dagtrade. */
export * from "./errors.ts";
