/**
 * The endpoints of MLflow's protos that Runlog does not serve, each answered with 404
 * `ENDPOINT_NOT_FOUND` and a message naming the feature and what works instead — never a 200 `{}`
 * that would make a client believe something was recorded. Paths as in the protos (read at
 * mlflow/mlflow 0026b08d for service.proto, webhooks.proto at 8ecbf194, mlflow_artifacts.proto at
 * cd827908), under `/api/<version>.0/`.
 */

export interface RefusedEndpoint {
  readonly version: number;
  readonly path: string;
  readonly methods: readonly string[];
  /** The MLflow feature, as its docs name it. */
  readonly feature: string;
  /** Why Runlog answers 404, and what to do instead. */
  readonly message: string;
}

type Endpoint = readonly [method: string, path: string, version?: number];

function refuse(feature: string, message: string, endpoints: readonly Endpoint[]): RefusedEndpoint[] {
  return endpoints.map(([method, path, version = 3]) => ({
    version,
    path: `mlflow/${path}`,
    methods: [method],
    feature,
    message,
  }));
}

const TRACES =
  "Runlog does not record traces (MLflow Tracing, GenAI). Log the run's params, metrics and artifacts instead; traces need an MLflow tracking server.";
const EVALUATION =
  'Runlog does not keep evaluation datasets, scorers, label schemas, issues or review queues (MLflow GenAI evaluation). Log evaluation results as metrics and tables (log_table) of a run.';
const GATEWAY =
  'Runlog has no AI Gateway: secrets, endpoints, model definitions, budgets and guardrails live in an MLflow server.';
const PROMPT_OPTIMIZATION = 'Runlog does not run prompt optimization jobs; they need an MLflow tracking server.';
const WORKSPACES = 'Runlog has one store per workspace folder and no MLflow workspaces; every request uses that store.';
const WEBHOOKS =
  'Runlog sends no registry webhooks. Watch the registry from the editor (the Models view), or from CI with `runlog models`.';
const PRESIGNED =
  'Runlog keeps artifacts itself and signs no URLs: upload and download through the mlflow-artifacts proxy (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD and _DOWNLOAD off, as server-info says).';
// MLflow's client falls back to a plain upload when the message starts with its exception's text.
const MULTIPART =
  'Multipart upload is not supported for the current artifact repository: Runlog takes each file in one PUT to mlflow-artifacts/artifacts/<path>.';
const ONLINE = 'Runlog has no Databricks inference tables: online traces are not available.';

export const REFUSED_ENDPOINTS: readonly RefusedEndpoint[] = [
  ...refuse('MLflow Tracing', TRACES, [
    ['POST', 'traces', 2],
    ['GET', 'traces', 2],
    ['PATCH', 'traces/{request_id}', 2],
    ['GET', 'traces/{request_id}/info', 2],
    ['PATCH', 'traces/{request_id}/tags', 2],
    ['DELETE', 'traces/{request_id}/tags', 2],
    ['POST', 'traces/delete-traces', 2],
    ['POST', 'traces/link-to-run', 2],
    ['POST', 'traces/link-prompts', 2],
    ['POST', 'traces'],
    ['GET', 'traces/{trace_id}'],
    ['GET', 'traces/get'],
    ['GET', 'traces/batchGet'],
    ['POST', 'traces/batchGetInfos'],
    ['POST', 'traces/search'],
    ['PATCH', 'traces/{trace_id}/tags'],
    ['DELETE', 'traces/{trace_id}/tags'],
    ['POST', 'traces/delete-traces'],
    ['POST', 'traces/calculate-filter-correlation'],
    ['POST', 'traces/metrics'],
    ['POST', 'traces/{trace_id}/assessments'],
    ['GET', 'traces/{trace_id}/assessments/{assessment_id}'],
    ['PATCH', 'traces/{trace_id}/assessments/{assessment_id}'],
    ['DELETE', 'traces/{trace_id}/assessments/{assessment_id}'],
  ]),
  ...refuse('Online traces', ONLINE, [
    ['GET', 'unified-traces', 2],
    ['GET', 'get-online-trace-details', 2],
  ]),
  ...refuse('GenAI evaluation', EVALUATION, [
    ['POST', 'datasets/create'],
    ['GET', 'datasets/{dataset_id}'],
    ['DELETE', 'datasets/{dataset_id}'],
    ['POST', 'datasets/search'],
    ['GET', 'datasets/search'],
    ['PATCH', 'datasets/{dataset_id}/tags'],
    ['DELETE', 'datasets/{dataset_id}/tags/{key}'],
    ['POST', 'datasets/{dataset_id}/records'],
    ['GET', 'datasets/{dataset_id}/records'],
    ['DELETE', 'datasets/{dataset_id}/records'],
    ['GET', 'datasets/{dataset_id}/experiment-ids'],
    ['POST', 'datasets/{dataset_id}/add-experiments'],
    ['POST', 'datasets/{dataset_id}/remove-experiments'],
    ['POST', 'scorers/register'],
    ['GET', 'scorers/list'],
    ['GET', 'scorers/versions'],
    ['GET', 'scorers/get'],
    ['DELETE', 'scorers/delete'],
    ['POST', 'label-schemas/create'],
    ['GET', 'label-schemas/get'],
    ['GET', 'label-schemas/get-by-name'],
    ['GET', 'label-schemas/list'],
    ['PATCH', 'label-schemas/update'],
    ['DELETE', 'label-schemas/delete'],
    ['POST', 'issues'],
    ['PATCH', 'issues/{issue_id}'],
    ['GET', 'issues/{issue_id}'],
    ['POST', 'issues/search'],
    ['POST', 'review-queues/create'],
    ['POST', 'review-queues/get-or-create-user'],
    ['GET', 'review-queues/get'],
    ['GET', 'review-queues/get-by-name'],
    ['GET', 'review-queues/list'],
    ['POST', 'review-queues/update'],
    ['POST', 'review-queues/delete'],
    ['POST', 'review-queues/items/add'],
    ['POST', 'review-queues/items/remove'],
    ['GET', 'review-queues/items/list'],
    ['POST', 'review-queues/items/set-status'],
  ]),
  ...refuse('AI Gateway', GATEWAY, [
    ...(['secrets', 'endpoints', 'model-definitions', 'budgets', 'guardrails'] as const).flatMap((area): Endpoint[] => [
      ['POST', `gateway/${area}/create`],
      ['GET', `gateway/${area}/get`],
      ['GET', `gateway/${area}/list`],
      ['DELETE', `gateway/${area}/delete`],
      ...(area === 'guardrails' ? [] : ([['POST', `gateway/${area}/update`]] as Endpoint[])),
    ]),
    ['POST', 'gateway/endpoints/models/attach'],
    ['POST', 'gateway/endpoints/models/detach'],
    ['POST', 'gateway/endpoints/bindings/create'],
    ['DELETE', 'gateway/endpoints/bindings/delete'],
    ['GET', 'gateway/endpoints/bindings/list'],
    ['POST', 'gateway/endpoints/set-tag'],
    ['DELETE', 'gateway/endpoints/delete-tag'],
    ['GET', 'gateway/budgets/windows'],
    ['POST', 'gateway/guardrails/add-to-endpoint'],
    ['DELETE', 'gateway/guardrails/remove-from-endpoint'],
    ['GET', 'gateway/guardrails/list-for-endpoint'],
    ['PATCH', 'gateway/guardrails/update-config'],
  ]),
  ...refuse('Prompt optimization', PROMPT_OPTIMIZATION, [
    ['POST', 'prompt-optimization/jobs'],
    ['GET', 'prompt-optimization/jobs/{job_id}'],
    ['POST', 'prompt-optimization/jobs/search'],
    ['GET', 'prompt-optimization/jobs/search'],
    ['POST', 'prompt-optimization/jobs/{job_id}/cancel'],
    ['DELETE', 'prompt-optimization/jobs/{job_id}'],
  ]),
  ...refuse('Workspaces', WORKSPACES, [
    ['GET', 'workspaces'],
    ['POST', 'workspaces'],
    ['GET', 'workspaces/{workspace_name}'],
    ['PATCH', 'workspaces/{workspace_name}'],
    ['DELETE', 'workspaces/{workspace_name}'],
  ]),
  ...refuse('Registry webhooks', WEBHOOKS, [
    ['POST', 'webhooks', 2],
    ['GET', 'webhooks', 2],
    ['GET', 'webhooks/{webhook_id}', 2],
    ['PATCH', 'webhooks/{webhook_id}', 2],
    ['DELETE', 'webhooks/{webhook_id}', 2],
    ['POST', 'webhooks/{webhook_id}/test', 2],
  ]),
  ...refuse('Presigned artifact URLs', PRESIGNED, [
    ['POST', 'artifacts/presigned-upload-url', 2],
    ['POST', 'artifacts/presigned-download-url', 2],
  ]),
  ...(
    [
      ['POST', 'mpu/create/<path:artifact_path>', 'Multipart artifact uploads', MULTIPART],
      ['POST', 'mpu/complete/<path:artifact_path>', 'Multipart artifact uploads', MULTIPART],
      ['POST', 'mpu/abort/<path:artifact_path>', 'Multipart artifact uploads', MULTIPART],
      ['GET', 'presigned/<path:artifact_path>', 'Presigned artifact URLs', PRESIGNED],
    ] as const
  ).map(([method, path, feature, message]) => ({
    version: 2,
    path: `mlflow-artifacts/${path}`,
    methods: [method],
    feature,
    message,
  })),
];
