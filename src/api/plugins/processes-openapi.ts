/**
 * OpenAPI 3.0 paths and components of the OGC API - Processes - Part 1 routes (oas30 class), written from the
 * 1.0 schemas (processList.yaml, process.yaml, execute.yaml, statusInfo.yaml, jobList.yaml, results.yaml).
 */
import type { OpenApiPart } from '../server.ts';
import { SSE_TYPE } from './processes-events.ts';

const problem = { $ref: '#/components/responses/Problem' };
const json = (ref: string): Record<string, unknown> => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const path = (name: string, description: string): Record<string, unknown> => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: Record<string, unknown>): Record<string, unknown> => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
  style: 'form',
  explode: false,
});
const limit = (max: number): Record<string, unknown> => query('limit', `Page size (default 10; above ${max} it is reduced to ${max}).`, { type: 'integer', minimum: 1, maximum: 10000, default: 10 });
const strings = { type: 'array', items: { type: 'string' } };
const tags = ['Processes'];
const jobTags = ['Jobs'];

const processId = path('processId', 'Process identifier.');
const jobId = path('jobId', 'Job identifier.');

export const processesOpenApi: OpenApiPart = {
  paths: {
    '/processes': {
      get: {
        summary: 'The processes this server runs',
        operationId: 'getProcesses',
        tags,
        parameters: [limit(10000), query('offset', 'Summaries to skip.', { type: 'integer', minimum: 0, default: 0 })],
        responses: { '200': { description: 'Process summaries.', content: json('ProcessList') }, default: problem },
      },
    },
    '/processes/{processId}': {
      get: {
        summary: 'The description of a process (OGC process description)',
        operationId: 'getProcessDescription',
        tags,
        parameters: [processId],
        responses: { '200': { description: 'The process description.', content: json('Process') }, '404': problem, default: problem },
      },
    },
    '/processes/{processId}/execution': {
      post: {
        summary: 'Executes a process: synchronously by default, asynchronously with `Prefer: respond-async`',
        operationId: 'execute',
        tags,
        parameters: [processId, { name: 'Prefer', in: 'header', required: false, schema: { type: 'string' }, description: 'RFC 7240; `respond-async` asks for a job.' }],
        requestBody: { required: true, content: json('Execute') },
        responses: {
          '200': { description: 'Synchronous execution: one output raw, or the results document.', content: { ...json('Results'), 'text/plain': { schema: { type: 'string' } } } },
          '201': { description: 'Asynchronous execution: the job created (Location: /jobs/{jobId}).', content: json('StatusInfo') },
          '204': { description: 'Synchronous execution with `"outputs": {}`: no content.' },
          '400': problem,
          '404': problem,
          default: problem,
        },
      },
    },
    '/jobs': {
      get: {
        summary: 'Jobs, newest first',
        operationId: 'getJobs',
        tags: jobTags,
        parameters: [
          query('status', 'Job states (accepted, running, successful, failed, dismissed).', strings),
          query('processID', 'Process identifiers.', strings),
          query('type', 'Job types; only `process` matches.', strings),
          query('datetime', 'Creation instant or interval (RFC 3339; `..` or empty for an open end).', { type: 'string' }),
          query('minDuration', 'Least run time, in seconds.', { type: 'integer', minimum: 0 }),
          query('maxDuration', 'Greatest run time, in seconds.', { type: 'integer', minimum: 0 }),
          query('owner', 'Jobs of this owner.', { type: 'string' }),
          query('visibility', 'private or public.', { type: 'string', enum: ['private', 'public'] }),
          query('title', 'Case-insensitive substring of the job title.', { type: 'string' }),
          query('subscription', 'Jobs started by this subscription (systematic processing).', { type: 'string' }),
          limit(1000),
          query('offset', 'Jobs to skip.', { type: 'integer', minimum: 0, default: 0 }),
        ],
        responses: { '200': { description: 'The job list.', content: json('JobList') }, '400': problem, default: problem },
      },
    },
    '/jobs/{jobId}': {
      get: {
        summary: 'Status of a job',
        operationId: 'getStatus',
        tags: jobTags,
        parameters: [jobId],
        responses: { '200': { description: 'The job status.', content: json('StatusInfo') }, '404': problem, default: problem },
      },
      delete: {
        summary: 'Dismisses a job: cancels it if needed, then deletes it with its results',
        operationId: 'dismiss',
        tags: jobTags,
        parameters: [jobId],
        responses: { '200': { description: 'The job, status dismissed.', content: json('StatusInfo') }, '404': problem, default: problem },
      },
    },
    '/jobs/{jobId}/results': {
      get: {
        summary: 'Results of a successful job',
        operationId: 'getResults',
        tags: jobTags,
        parameters: [jobId, query('outputs', 'Output identifiers to return (default all).', strings)],
        responses: { '200': { description: 'The results document.', content: json('Results') }, '404': problem, default: problem },
      },
    },
    '/jobs/{jobId}/results/{outputId}': {
      get: {
        summary: 'One output of a successful job, raw',
        operationId: 'getResult',
        tags: jobTags,
        parameters: [jobId, path('outputId', 'Output identifier.')],
        responses: { '200': { description: 'The output value or file.' }, '404': problem, default: problem },
      },
    },
    '/jobs/{jobId}/events': {
      get: {
        summary: 'Live status and progress of a job (Server-Sent Events, `event: status`, data statusInfo) until it ends',
        operationId: 'getJobEvents',
        tags: jobTags,
        parameters: [jobId],
        responses: { '200': { description: 'An event stream.', content: { [SSE_TYPE]: { schema: { type: 'string' } } } }, '404': problem, default: problem },
      },
    },
    '/jobs/{jobId}/logs': {
      get: {
        summary: 'Log entries of a job',
        operationId: 'getJobLogs',
        tags: jobTags,
        parameters: [
          jobId,
          query('after', 'Entries after this sequence number.', { type: 'integer', minimum: 0, default: 0 }),
          query('limit', 'Most entries returned.', { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }),
        ],
        responses: { '200': { description: 'Log entries, oldest first.', content: json('JobLogs') }, '404': problem, default: problem },
      },
    },
  },
  components: {
    schemas: {
      ProcessSummary: {
        type: 'object',
        required: ['id', 'version'],
        properties: {
          id: { type: 'string' },
          version: { type: 'string' },
          title: { type: 'string' },
          description: { type: 'string' },
          keywords: strings,
          jobControlOptions: { type: 'array', items: { type: 'string', enum: ['sync-execute', 'async-execute', 'dismiss'] } },
          outputTransmission: { type: 'array', items: { type: 'string', enum: ['value', 'reference'] } },
          links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
        },
      },
      ProcessList: {
        type: 'object',
        required: ['processes', 'links'],
        properties: {
          processes: { type: 'array', items: { $ref: '#/components/schemas/ProcessSummary' } },
          links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
        },
      },
      Process: {
        allOf: [
          { $ref: '#/components/schemas/ProcessSummary' },
          { type: 'object', properties: { inputs: { type: 'object', additionalProperties: { type: 'object' } }, outputs: { type: 'object', additionalProperties: { type: 'object' } } } },
        ],
      },
      Execute: {
        type: 'object',
        properties: {
          inputs: { type: 'object', additionalProperties: true },
          outputs: { type: 'object', additionalProperties: { type: 'object' } },
          response: { type: 'string', enum: ['raw', 'document'], default: 'raw' },
          title: { type: 'string', description: 'Job title (platform extension).' },
          visibility: { type: 'string', enum: ['private', 'public'], description: 'Job visibility (platform extension).' },
        },
      },
      StatusInfo: {
        type: 'object',
        required: ['jobID', 'status', 'type'],
        properties: {
          processID: { type: 'string' },
          type: { type: 'string', enum: ['process'] },
          jobID: { type: 'string' },
          status: { type: 'string', enum: ['accepted', 'running', 'successful', 'failed', 'dismissed'] },
          message: { type: 'string' },
          created: { type: 'string', format: 'date-time' },
          started: { type: 'string', format: 'date-time' },
          finished: { type: 'string', format: 'date-time' },
          updated: { type: 'string', format: 'date-time' },
          progress: { type: 'integer', minimum: 0, maximum: 100 },
          links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
        },
      },
      JobList: {
        type: 'object',
        required: ['jobs', 'links'],
        properties: {
          jobs: { type: 'array', items: { $ref: '#/components/schemas/StatusInfo' } },
          links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
          numberMatched: { type: 'integer' },
          numberReturned: { type: 'integer' },
        },
      },
      Results: { type: 'object', additionalProperties: true, description: 'Output id -> inline value or { href, type } link.' },
      JobLogs: {
        type: 'object',
        required: ['jobID', 'logs'],
        properties: {
          jobID: { type: 'string' },
          logs: {
            type: 'array',
            items: {
              type: 'object',
              properties: { seq: { type: 'integer' }, time: { type: 'string', format: 'date-time' }, level: { type: 'string' }, message: { type: 'string' } },
            },
          },
          links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
        },
      },
    },
  },
};
