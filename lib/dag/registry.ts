/**
 * The builder registry: maps the names users type (`--dag sma_cross`) to `DagBuilder`s.
 * `DagBuilderRegistry` is the class (tests make their own); `registerBuilder`, `getBuilder`
 * and `listBuilders` use the process-wide default registry that the built-in builders join.
 */
import { DagtradeError, UsageError } from "../errors/mod.ts";
import type { DagBuilder } from "./dag_builder.ts";

/** A set of builders by name. */
export class DagBuilderRegistry {
  readonly #builders = new Map<string, DagBuilder>();

  /** Adds a builder; a name already registered (by another builder object) throws. */
  register(builder: DagBuilder): void {
    const existing = this.#builders.get(builder.name);
    if (existing === builder) return;
    if (existing !== undefined) {
      throw new DagtradeError(`Cannot register dag '${builder.name}': the name is already taken`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(builder.name)) {
      throw new DagtradeError(
        `Cannot register dag '${builder.name}': names use letters, digits, '_', '.', '-'`,
      );
    }
    this.#builders.set(builder.name, builder);
  }

  /** The builder named `name`; an unknown name throws `UsageError` listing the known ones. */
  get(name: string): DagBuilder {
    const builder = this.#builders.get(name);
    if (builder === undefined) {
      const known = this.names();
      throw new UsageError(
        `Unknown dag '${name}'; known dags: ${known.length === 0 ? "(none)" : known.join(", ")}`,
      );
    }
    return builder;
  }

  /** Whether a builder named `name` is registered. */
  has(name: string): boolean {
    return this.#builders.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#builders.keys()].sort();
  }

  /** Registered builders, sorted by name. */
  list(): DagBuilder[] {
    return this.names().map((name) => this.#builders.get(name) as DagBuilder);
  }
}

/** The process-wide registry used by the commands. */
export const defaultRegistry: DagBuilderRegistry = new DagBuilderRegistry();

/** Registers `builder` in the default registry. */
export function registerBuilder(builder: DagBuilder): void {
  defaultRegistry.register(builder);
}

/** The builder named `name` from the default registry (unknown → `UsageError` listing names). */
export function getBuilder(name: string): DagBuilder {
  return defaultRegistry.get(name);
}

/** The builders of the default registry, sorted by name. */
export function listBuilders(): DagBuilder[] {
  return defaultRegistry.list();
}
