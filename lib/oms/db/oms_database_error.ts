/** The error thrown when the OMS database cannot be opened, migrated, read or written. */
import { DagtradeError } from "../../errors/mod.ts";

/**
 * An OMS database failure (exit 1): connection refused, failed migration, constraint violation,
 * a row that does not parse. The message names the database and the operation; `cause` keeps
 * the driver's error.
 */
export class OmsDatabaseError extends DagtradeError {}
