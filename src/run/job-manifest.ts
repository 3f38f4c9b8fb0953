import type { RunRecord } from '../report/record.js';
import {
  describeArtifact,
  withEntries,
  writeManifest,
  type ArtifactManifest,
  type ManifestEntry,
} from '../stages/manifest.js';

/**
 * A job's manifest (`manifest.json` in its run directory): the kernels' files (described right
 * after each build, while the slot still holds them), the hmm-tests binaries the guests ran, and
 * every file the run directory keeps (series, .config, logs, results), each with its sha256.
 */
export function jobManifest(record: RunRecord, produced: readonly ManifestEntry[]): ArtifactManifest {
  const a = record.artifacts;
  const rerunConsoles = a.patchedConsoles.slice(1);
  const kept = [
    describeArtifact('series', 'patched', a.series),
    describeArtifact('config', 'patched', a.config),
    describeArtifact('build-log', 'baseline', a.baselineBuildLog),
    describeArtifact('build-log', 'patched', a.patchedBuildLog),
    describeArtifact('console-log', 'baseline', a.baselineConsole),
    describeArtifact('console-log', 'patched', a.patchedConsoles[0]),
    ...rerunConsoles.map((c, i) => describeArtifact('console-log', 'patched', c, `rerun${i + 1}/console.log`)),
    describeArtifact('results', 'baseline', a.baselineResults),
    describeArtifact('results', 'patched', a.patchedResults),
    ...record.reruns.map((_, i) =>
      describeArtifact(
        'results',
        'patched',
        a.patchedResults?.replace(/patched\.results\.json$/, `patched.rerun${i + 1}.results.json`),
        `rerun${i + 1}/results.json`,
      ),
    ),
  ];
  // Run-directory copies are what stays; the kernels' files are described where they were built.
  return withEntries(withEntries({ schema: 1, job: record.id, entries: [] }, produced), kept);
}

export function writeJobManifest(record: RunRecord, produced: readonly ManifestEntry[]): string {
  return writeManifest(record.runDir, jobManifest(record, produced));
}
