import { championOf, stageOf } from './champion';
import type { MlflowModelVersion } from './types';

const version = (v: string, stage?: string): MlflowModelVersion => ({
  name: 'm',
  version: v,
  current_stage: stage,
});

describe('stageOf', () => {
  it('shows Staging, Production and Archived, and no stage for None (every version on MLflow 3)', () => {
    expect(stageOf(version('1', 'Production'))).toBe('Production');
    expect(stageOf(version('1', 'Staging'))).toBe('Staging');
    expect(stageOf(version('1', 'Archived'))).toBe('Archived');
    expect(stageOf(version('1', 'None'))).toBeUndefined();
    expect(stageOf(version('1'))).toBeUndefined();
  });
});

describe('championOf', () => {
  it('is the version the champion alias names, even when another is in Production', () => {
    expect(
      championOf({
        name: 'm',
        aliases: [
          { alias: 'challenger', version: '4' },
          { alias: 'champion', version: '2' },
        ],
        latest_versions: [version('3', 'Production')],
      }),
    ).toEqual({ version: '2', by: 'alias' });
  });

  it('without the alias, is the newest version in stage Production', () => {
    expect(
      championOf({
        name: 'm',
        aliases: [{ alias: 'challenger', version: '4' }],
        latest_versions: [
          version('4', 'Staging'),
          version('3', 'Production'),
          version('12', 'Production'),
          version('5', 'None'),
        ],
      }),
    ).toEqual({ version: '12', by: 'stage' });
  });

  it('is none for a model with neither (MLflow 3: every stage None)', () => {
    expect(
      championOf({ name: 'm', latest_versions: [version('3', 'None')] }),
    ).toBeUndefined();
    expect(championOf({ name: 'm' })).toBeUndefined();
  });
});
