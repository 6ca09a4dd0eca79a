// A `node --test` reporter for mutation runs (scripts/mutation-groups.js): ends the run at the first
// failing test. Stryker only needs to know that some test failed, and a mutant is usually caught
// by the first tests of its module, so stopping there spares the rest of the files. Used with
// --test-isolation=none, where the tests run in the reporter's own process.
export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail' && event.data.todo === undefined && event.data.skip === undefined) {
      process.stderr.write(`bail: "${event.data.name}" failed\n`);
      process.exit(1);
    }
  }
}
