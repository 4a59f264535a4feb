/**
 * OGC API - Processes - Part 1: Core 1.0 process summary and OGC process description (JSON), from the one
 * service description. Schemas: processSummary.yaml, process.yaml, inputDescription.yaml,
 * outputDescription.yaml (processes-core). Every input states minOccurs and maxOccurs explicitly; our CLI
 * extras stay out, the form group and input kind travel as `metadata` entries (role gep:group, gep:kind).
 */
import type { InputDescription, JSONSchema, ServiceDescription } from './types.ts';
import { maxOccursOf, minOccursOf } from './validate.ts';

/** Link relation of the execute endpoint (OGC 18-062r2, 7.9). */
export const REL_EXECUTE = 'http://www.opengis.net/def/rel/ogc/1.0/execute';
/** Profile of an OGC process description (/req/ogc-process-description/json-encoding). */
export const PROFILE_OGC_PROCESS_DESCRIPTION = 'https://www.opengis.net/def/profile/OGC/0/ogc-process-description';

export interface OgcLink {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

export interface OgcProcessSummary {
  id: string;
  version: string;
  title: string;
  description: string;
  keywords: string[];
  jobControlOptions: string[];
  outputTransmission: ('value' | 'reference')[];
  links: OgcLink[];
}

export interface OgcInputDescription {
  title: string;
  description: string;
  schema: JSONSchema;
  minOccurs: number;
  maxOccurs: number | 'unbounded';
  metadata?: { role: string; value: string }[];
}

export interface OgcProcessDescription extends OgcProcessSummary {
  inputs: Record<string, OgcInputDescription>;
  outputs: Record<string, { title: string; description: string; schema: JSONSchema }>;
}

const trimSlash = (u: string): string => u.replace(/\/+$/, '');

function links(desc: ServiceDescription, baseUrl: string, full: boolean): OgcLink[] {
  const self = `${trimSlash(baseUrl)}/processes/${encodeURIComponent(desc.id)}`;
  const out: OgcLink[] = [
    { href: self, rel: 'self', type: 'application/json', title: `${desc.title} (process description)` },
    { href: `${self}/execution`, rel: REL_EXECUTE, type: 'application/json', title: `Execute ${desc.title}` },
  ];
  if (full) out.push({ href: PROFILE_OGC_PROCESS_DESCRIPTION, rel: 'profile', title: 'OGC process description' });
  return out;
}

/** The process summary for `GET /processes` (processSummary.yaml). */
export function processSummary(desc: ServiceDescription, baseUrl: string): OgcProcessSummary {
  return {
    id: desc.id,
    version: desc.version,
    title: desc.title,
    description: desc.description,
    keywords: [...desc.keywords],
    jobControlOptions: [...(desc.jobControlOptions ?? ['async-execute'])],
    outputTransmission: ['value', 'reference'],
    links: links(desc, baseUrl, false),
  };
}

function inputDescription(d: InputDescription): OgcInputDescription {
  const max = maxOccursOf(d);
  const metadata = [
    ...(d.group ? [{ role: 'gep:group', value: d.group }] : []),
    ...(d.kind && d.kind !== 'literal' ? [{ role: 'gep:kind', value: d.kind }] : []),
  ];
  return {
    title: d.title,
    description: d.description,
    schema: structuredClone(d.schema),
    minOccurs: minOccursOf(d),
    maxOccurs: max === Infinity ? 'unbounded' : max,
    ...(metadata.length ? { metadata } : {}),
  };
}

/** The OGC process description for `GET /processes/{id}` (process.yaml). */
export function processDescription(desc: ServiceDescription, baseUrl: string): OgcProcessDescription {
  return {
    ...processSummary(desc, baseUrl),
    links: links(desc, baseUrl, true),
    inputs: Object.fromEntries(Object.entries(desc.inputs).map(([id, d]) => [id, inputDescription(d)])),
    outputs: Object.fromEntries(
      Object.entries(desc.outputs).map(([id, o]) => [id, { title: o.title, description: o.description, schema: structuredClone(o.schema) }]),
    ),
  };
}
