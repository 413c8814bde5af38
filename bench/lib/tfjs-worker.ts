/**
 * Child process running the tfjs peer (see tfjs-peer.ts `runTfjsIsolated`): a crash inside tfjs or Dawn
 * (tfjs-webgpu segfaults on lavapipe beyond ~130 MB of live tensors) then ends this process, not the benchmark.
 * Protocol: one message { backend, prob, repeats } in, one message { ok, result | error } out.
 */
import { loadTfjs, runTfjsPeer, type TfjsBackend, type TfjsProblem } from './tfjs-peer.js';

process.once('message', (msg: { backend: TfjsBackend; prob: TfjsProblem; repeats: number }) => {
  void (async () => {
    try {
      const peer = await loadTfjs(msg.backend);
      const m = await runTfjsPeer(peer, msg.prob, msg.repeats);
      process.send!({ ok: true, result: { ...m, grads: Array.from(m.grads) } }, () => process.exit(0));
    } catch (e) {
      process.send!({ ok: false, error: e instanceof Error ? e.message : String(e) }, () => process.exit(0));
    }
  })();
});
