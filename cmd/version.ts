/** The dagtrade version, read from deno.json. */
import denoJson from "../deno.json" with { type: "json" };

/** `dagtrade --version` prints this. */
export const VERSION: string = denoJson.version;
