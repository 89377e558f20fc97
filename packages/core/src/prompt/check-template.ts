/**
 * Checks a user's `promptTemplate` at construction. A template that never renders
 * the records would send every batch without its inputs (each record then fails as
 * `parse` or `circuit_open`, far from the cause), and malformed Mustache would fail
 * only at subscribe: both are a `TypeError` naming the option and the fix instead.
 */
import Mustache from 'mustache';


/** A Mustache token: [type, name, start, end, children?, …]. */
type Token = [string, string, number, number, Token[]?, ...unknown[]];

/** The view fields that carry a record's content (see render-prompt.ts). */
const RECORD_CONTENT = /^(?:text|textJson|xmlText|input)(?:\.|$)/;

/**
 * Throws a `TypeError` when `template` is not valid Mustache or renders no record:
 * it needs a `{{#records}}…{{/records}}` section using a record's `text`,
 * `textJson`, `xmlText` or `input`, or `{{recordsJson}}`.
 *
 * @example
 * checkTemplate('Classify:\n{{#records}}{{index}}. {{text}}\n{{/records}}', 'mlPredict'); // fine
 * checkTemplate('Classify {{text}}', 'mlPredict'); // throws TypeError: … renders no records …
 */
export function checkTemplate(template: string, caller: string): void {
  const option = '"promptTemplate" (batch.prompt.template)';
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as unknown as Token[];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TypeError(`${caller}: invalid options:\n  - ${option}: not valid Mustache (${why}); close each {{#section}} with {{/section}} and each {{ with }}`);
  }
  if (!rendersRecords(tokens)) {
    throw new TypeError(
      `${caller}: invalid options:\n  - ${option}: renders no records, so every request would go without its inputs; ` +
        'add a section such as {{#records}}Input {{index}}: {{textJson}}\n{{/records}} (or {{recordsJson}})',
    );
  }
}

/**
 * Throws a `TypeError` when `template` shows a record's content without its index,
 * for a run whose answers are matched to records by index and whose batches can
 * hold several records: a model would have to count, and one record it skips
 * shifts every later answer onto the wrong record. The index counts when the
 * record's `{{index}}` renders wherever its content does (in the same section or
 * one around it), or when the template renders `{{recordsJson}}`, which carries it.
 * Call it after {@link checkTemplate}.
 *
 * @example
 * checkTemplateIndex('{{#records}}{{index}}. {{text}}\n{{/records}}', 'json', 'mlPredict'); // fine
 * checkTemplateIndex('{{#records}}- {{text}}\n{{/records}}', 'json', 'mlPredict'); // throws TypeError: … without their {{index}} …
 */
export function checkTemplateIndex(template: string, format: string, caller: string): void {
  const tokens = Mustache.parse(template) as unknown as Token[];
  if (mentionsRecordsJson(tokens) || !showsContentWithoutIndex(tokens)) return;
  throw new TypeError(
    `${caller}: invalid options:\n  - "promptTemplate" (batch.prompt.template): shows the records without their {{index}}, but ${format} answers are matched to records by index, ` +
      'so a model that skips a record would shift every later answer onto the wrong record; ' +
      'add {{index}} in the {{#records}} section (e.g. {{#records}}Input {{index}}: {{textJson}}\n{{/records}}), or set batchSize: 1',
  );
}

function mentionsRecordsJson(tokens: readonly Token[]): boolean {
  return tokens.some(([type, name, , , children]) => ((type === 'name' || type === '&') && name === 'recordsJson') || mentionsRecordsJson(children ?? []));
}

/** True when some `{{#records}}` section renders a record's content where its index doesn't render. */
function showsContentWithoutIndex(tokens: readonly Token[]): boolean {
  return tokens.some(([type, name, , , children]) => {
    if (type === '#' && name === 'records') return contentWithoutIndex(children ?? [], false);
    return (type === '#' || type === '^') && showsContentWithoutIndex(children ?? []);
  });
}

/** Within a records section: content at a level where neither it nor a section around it renders `index`. */
function contentWithoutIndex(tokens: readonly Token[], indexAround: boolean): boolean {
  const indexHere = indexAround || tokens.some(([type, name]) => (type === 'name' || type === '&') && name === 'index');
  return tokens.some(([type, name, , , children]) => {
    if (type === 'name' || type === '&') return !indexHere && RECORD_CONTENT.test(name);
    if (type !== '#' && type !== '^') return false;
    const inside = children ?? [];
    // A section over a record field ({{#input}}…{{/input}}) shows content; its index may be inside it.
    if (RECORD_CONTENT.test(name) && !indexHere && !inside.some(([t, n]) => (t === 'name' || t === '&') && n === 'index')) return true;
    return contentWithoutIndex(inside, indexHere);
  });
}

function rendersRecords(tokens: readonly Token[]): boolean {
  return tokens.some(([type, name, , , children]) => {
    if ((type === 'name' || type === '&') && name === 'recordsJson') return true;
    if (type === '#' && name === 'records' && mentionsRecordContent(children ?? [])) return true;
    return (type === '#' || type === '^') && rendersRecords(children ?? []);
  });
}

function mentionsRecordContent(tokens: readonly Token[]): boolean {
  return tokens.some(([type, name, , , children]) => (type !== 'text' && type !== '!' && RECORD_CONTENT.test(name)) || mentionsRecordContent(children ?? []));
}

/**
 * True when `template` shows a record's `input` (`{{input.lang}}`), not only its
 * text: two records with the same text are then asked different things, and the
 * cache must tell them apart. A template that doesn't parse counts as reading it.
 *
 * @example
 * templateReadsInput('{{#records}}{{index}}: {{text}} ({{input.lang}})\n{{/records}}') // → true
 * templateReadsInput('{{#records}}{{index}}: {{textJson}}\n{{/records}}') // → false
 */
export function templateReadsInput(template: string): boolean {
  try {
    return readsInput(Mustache.parse(template) as unknown as Token[]);
  } catch {
    return true;
  }
}

function readsInput(tokens: readonly Token[]): boolean {
  return tokens.some(([type, name, , , children]) => (type !== 'text' && type !== '!' && /^input(?:\.|$)/.test(name)) || readsInput(children ?? []));
}
