/** The hmmci CLI from source (tsx), for tests that run real worker and submitter processes. */
import { main } from '../../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
