/**
 * The one description of a processing service, and the contract between a service and whoever runs it.
 *
 * A service is declared once (id, version, inputs as JSON Schema, outputs); from that description come input
 * validation (validate.ts), the OGC API - Processes 1.0 process description (describe.ts), the CLI flags and
 * help (cli/commands/run.ts) and the web form. Inputs follow OGC `inputDescription`: `schema` is the JSON
 * Schema of ONE value; `maxOccurs > 1` makes the input a list of such values.
 */

export type JSONSchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

/** The JSON Schema subset that validate.ts enforces (other keywords are carried as annotations). */
export interface JSONSchema {
  type?: JSONSchemaType | JSONSchemaType[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  /** Numbers: inclusive and exclusive bounds (draft 2020-12 style: exclusive* are numbers). */
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  /** Strings. `format` checked: date-time (RFC 3339), date, uri, uri-reference, geojson-geometry (objects). */
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  contentMediaType?: string;
  contentEncoding?: string;
  contentSchema?: string;
  /** Arrays. */
  items?: JSONSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  /** Objects. */
  properties?: Record<string, JSONSchema>;
  required?: string[];
  additionalProperties?: boolean | JSONSchema;
  oneOf?: JSONSchema[];
  anyOf?: JSONSchema[];
  allOf?: JSONSchema[];
  $ref?: string;
  /** OGC annotations: unit of measure (shown in CLI help and forms). */
  'x-ogc-unit'?: string;
  'x-ogc-definition'?: string;
}

/** How the runner opens an input: raster/product inputs are file paths, URLs or catalogue ids. */
export type InputKind = 'literal' | 'raster' | 'product' | 'geometry' | 'bbox';

/** OGC inputDescription plus our CLI/form extras. */
export interface InputDescription {
  title: string;
  description: string;
  schema: JSONSchema;
  /** Default: 0 when the schema has a default, else 1 (required). */
  minOccurs?: number;
  /** Default 1. Above 1 the input takes a list of values, each checked against `schema`. */
  maxOccurs?: number | 'unbounded';
  kind?: InputKind;
  /** CLI flag (default: kebab-case of the id, `windowSize` -> `--window-size`) and optional one-letter alias. */
  cli?: { flag?: string; short?: string };
  /** Form and help section ("Correlation", "Corrections" ...). */
  group?: string;
}

export interface OutputDescription {
  title: string;
  description: string;
  /** A schema with `contentMediaType` marks a file output: its value is a path inside the workspace. */
  schema: JSONSchema;
}

export type JobControlOption = 'sync-execute' | 'async-execute';

export interface ServiceDescription {
  /** Process id: letters, digits, '-' and '_', starting with a letter. */
  id: string;
  version: string;
  title: string;
  description: string;
  keywords: string[];
  inputs: Record<string, InputDescription>;
  outputs: Record<string, OutputDescription>;
  jobControlOptions?: JobControlOption[];
  example?: { inputs: Record<string, unknown>; note?: string };
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A fan-out task: a module (not a closure) so it can run in another thread or on another machine. */
export interface TileTask<T, R> {
  /** Absolute file URL of a module exporting `run(tile: T, signal?: AbortSignal): Promise<R> | R`. */
  module: string;
  /** Name of the exported function (default 'run'). */
  export?: string;
  /** Phantom fields: tie T and R to the task for type inference; never set. */
  readonly __tile?: T;
  readonly __result?: R;
}

/** Options of one `ctx.map` call (not sent to workers). */
export interface MapOptions {
  /** Called in the calling thread after each tile completes (done in 1..total). */
  onTileDone?: (done: number, total: number) => void;
}

/** What a service's `run` receives. */
export interface ServiceContext {
  /** Validated inputs, defaults applied; inputs with maxOccurs > 1 are arrays. */
  inputs: Record<string, unknown>;
  log(level: LogLevel, message: string): void;
  /** Fraction in [0, 1] (clamped) and an optional short message. */
  progress(fraction: number, message?: string): void;
  signal: AbortSignal;
  /** Folder for outputs, created by the runner; write files atomically (temporary name, then rename). */
  workspace: string;
  /**
   * Runs `task` on every tile, possibly in worker threads (local) or on queue workers (engine). Tiles and
   * results must be structured-clonable; typed arrays in results are transferred. Results keep tile order.
   * The first failing tile cancels the rest and rejects with that tile's error.
   */
  map<T, R>(tiles: T[], task: TileTask<T, R>, options?: MapOptions): Promise<R[]>;
  /**
   * Provenance properties to merge into the STAC items a service writes itself (processing:software,
   * processing:lineage, gep:parameters, gep:inputs ...); see outputs.ts.
   */
  provenance: Record<string, unknown>;
}

export interface ServiceResult {
  /** Output id -> value: file paths (inside the workspace), STAC item ids, literal values. */
  outputs: Record<string, unknown>;
  /** Set when the service wrote its own STAC catalog; otherwise the runner writes one. */
  stac?: { catalog: string };
}

export interface Service {
  description: ServiceDescription;
  run(ctx: ServiceContext): Promise<ServiceResult>;
}

/** CRS84, the default CRS of an OGC bounding box. */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

/** The OGC bounding-box value schema (processes-core bbox.yaml): `{ bbox: [minx, miny, maxx, maxy], crs? }`. */
export const BBOX_SCHEMA: JSONSchema = {
  type: 'object',
  format: 'ogc-bbox',
  required: ['bbox'],
  properties: {
    bbox: {
      type: 'array',
      items: { type: 'number' },
      oneOf: [
        { minItems: 4, maxItems: 4 },
        { minItems: 6, maxItems: 6 },
      ],
    },
    crs: { type: 'string', format: 'uri', default: CRS84 },
  },
};

/** A GeoJSON geometry value (checked for a known `type` and `coordinates`/`geometries`). */
export const GEOMETRY_SCHEMA: JSONSchema = { type: 'object', format: 'geojson-geometry' };
