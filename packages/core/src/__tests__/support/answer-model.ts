/**
 * A minimal in-process model for core's own tests: reads `Input n: "…"` lines and
 * answers through a test-supplied function, recording every request.
 */
import type { Model, CompletionRequest, CompletionResponse } from '@mlpredict/core';

export interface PromptRecord {
  index: number;
  text: string;
}

export function promptRecords(request: CompletionRequest): PromptRecord[] {
  const user = request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return [...user.matchAll(/^Input (\d+): (.*)$/gm)].map((m) => ({ index: Number(m[1]), text: JSON.parse(m[2]!) as string }));
}

export type Answer = (records: PromptRecord[], request: CompletionRequest, call: number) => string | CompletionResponse | Promise<string | CompletionResponse>;

export interface AnswerModel extends Model {
  requests: CompletionRequest[];
}

export function answerModel(answer: Answer, extra: Partial<Model> = {}): AnswerModel {
  const requests: CompletionRequest[] = [];
  return {
    name: 'test:answer',
    ...extra,
    requests,
    async complete(request) {
      requests.push(request);
      const out = await answer(promptRecords(request), request, requests.length);
      return typeof out === 'string' ? { text: out, finishReason: 'stop' } : out;
    },
  };
}

/** Answers every record with `label(text)` as `[{index, answer}]`. */
export const labelAll = (label: (text: string) => unknown, valueField = 'answer'): Answer => (records) =>
  JSON.stringify(records.map((r) => ({ index: r.index, [valueField]: label(r.text) })));

export const upper = (text: string) => text.toUpperCase();
