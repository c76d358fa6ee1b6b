// Serve the real RSSHub (the npm build's Hono app) on 127.0.0.1 for newsstand's tests.
//
// The 1.0.0-master builds ship dist-lib/ only: no server entry, and the package's init()
// switches routes to raw JSON. So: find the app module pkg.mjs imports, take its default
// export (the Hono app, configured from the environment) and serve it on the loopback
// port named by PORT (0: one the OS picks), and nothing else. One line on stdout says
// where it listens:
//     rsshub listening on http://127.0.0.1:<port>
// It stops on SIGTERM or SIGINT, or when its stdin closes (the test run that started it
// died).
import { readFile } from "node:fs/promises";

const entry = new URL(import.meta.resolve("rsshub")); // .../rsshub/dist-lib/pkg.mjs
const found = (await readFile(entry, "utf8")).match(/import\("\.\/(app-[\w-]+\.mjs)"\)/);
if (!found) {
    console.error(`no app module imported by ${entry.pathname}`);
    process.exit(2);
}
// The build starts a Prometheus exporter when its app loads, on port 9464 of every
// interface: a fixed port (two servers collide) beyond loopback. It is not started.
const { PrometheusExporter } = await import("@opentelemetry/exporter-prometheus");
PrometheusExporter.prototype.startServer = async () => {};
const app = (await import(new URL(found[1], entry).href)).default;
const { serve } = await import("@hono/node-server");

const server = serve(
    { fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) },
    (info) => console.log(`rsshub listening on http://127.0.0.1:${info.port}`),
);
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
