import { expect } from 'vitest';
import type { OkStep, StepResult } from '../../results/schema.ts';

/** The step as an ok row, failing the test (with the step's error) when it errored. */
export function expectOk(step: StepResult | undefined): OkStep {
  expect(step).toBeDefined();
  expect({ id: step!.id, status: step!.status, error: step!.status === 'errored' ? step!.error : undefined }).toEqual({ id: step!.id, status: 'ok', error: undefined });
  return step as OkStep;
}
