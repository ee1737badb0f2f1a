/** Injection token of the {@link SampleConfig}. */
export const SAMPLE_CONFIG = 'SAMPLE:CONFIG';
