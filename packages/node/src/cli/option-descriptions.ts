/**
 * One line of help per operator option. The flags themselves are derived from
 * the core's option schema (see `cli-flags.ts`); a test checks every derived flag
 * has a line here, so a new option cannot reach the CLI undocumented.
 */
export const OPTION_DESCRIPTIONS: Readonly<Record<string, string>> = {
  batchSize: 'records per request',
  batchTimeoutMs: 'send a partial batch after this many ms without filling it',
  maxBatchTokens: 'also close a batch when its estimated prompt tokens would pass this',
  concurrency: 'requests in flight at once',
  ordered: 'results in input order inside the library; the CLI writes rows in input order either way',
  reorderWindow: 'results held to restore input order (default: batch size × concurrency × 4)',
  systemPrompt: 'the system message',
  promptTemplate: 'the Mustache template of one batch prompt ({{#records}}{{index}} {{text}}{{/records}})',
  instruction: 'the task, for the default template (e.g. "Classify the sentiment of each review.")',
  vars: 'extra template variables, as JSON (e.g. \'{"labels":"positive, negative"}\')',
  indexBase: 'the first index written in the prompt (0 or 1)',
  textField: 'which field of an object record is its text (alias: --field)',
  responseFormat: 'how the model answers: json, xml, delimited or text',
  delimiter: 'the separator for --response-format delimited',
  responsePath: 'JSONPath to the answers in the JSON reply',
  indexField: 'the field of each answer that holds its index',
  valueField: 'the field of each answer that holds its value (default template: "answer")',
  structuredOutput: 'ask the provider to constrain the reply: off, json_object, json_schema or auto',
  cache: 'answer identical records once per run (--no-cache to turn off)',
  votes: 'ask each batch this many times and keep each record\'s majority answer',
  maxTokens: 'max completion tokens per request',
  temperature: 'sampling temperature',
  maxRetries: 'retries per request (429s, 5xx, timeouts, network errors)',
  retry: 'backoff between retries, as JSON with strategy, baseDelayMs, maxDelayMs',
  requestTimeoutMs: 'time limit of one attempt, in ms',
  deadlineMs: 'time limit of one record, retries included, in ms',
  requestsPerMinute: 'client-side request budget per minute',
  tokensPerMinute: 'client-side token budget per minute',
  adaptiveConcurrency: 'lower concurrency on 429s and raise it back as requests succeed',
  fallback: 'after a batch cannot be repaired: single (one record per request) or none',
  circuitBreaker: 'false, or JSON with failureThreshold, cooldownMs',
  onError: 'emit (an error row per failed record) or throw (stop the run at the first)',
};
