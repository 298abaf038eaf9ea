// A Plexus sandboxed tool. It runs in an isolated-vm isolate: no process, require, or host globals.
// The second argument carries what plexus-tool.json asks for and policy grants:
//   ctx.fetch(url, init), ctx.fs.readFile/writeFile/readdir, ctx.kv.get/set/delete/list, ctx.log(...)
export default async function handler(input, ctx) {
  ctx.log('greeting', input.name);
  return { greeting: `Hello, ${input.name}!` };
}
