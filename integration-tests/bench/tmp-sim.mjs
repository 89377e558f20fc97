import { startSimulator } from '@mlpredict/testing';
const sim = await startSimulator({ port: 18555, batch: { completionDelayMs: 300 } });
console.log(sim.url);
setTimeout(() => sim.close(), 600000);
