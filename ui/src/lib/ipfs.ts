/**
 * IPFS through server.mjs's narrow proxy: `GET /ipfs/cat?arg=CID` (bytes, ≤ 5 MiB) and
 * `POST /ipfs/add` (raw body → `{cid}`, not pinned: the chain tells the steward what to pin).
 * Errors carry the server's `{error}` text.
 */

export class IpfsError extends Error {}

async function failure(answer: Response, what: string): Promise<IpfsError> {
  let message = `${answer.status} ${answer.statusText}`;
  try {
    const body = (await answer.json()) as { error?: string };
    if (body?.error) message = body.error;
  } catch {
    // not JSON
  }
  return new IpfsError(`${what}: ${message}`);
}

/** The bytes of an object. */
export async function cat(base: string, cid: string): Promise<Uint8Array> {
  let answer: Response;
  try {
    answer = await fetch(`${base}/cat?arg=${encodeURIComponent(cid)}`, { cache: 'no-store' });
  } catch (error) {
    throw new IpfsError(`the app's server does not answer (${String(error)}); reload the page or start it again`);
  }
  if (!answer.ok) throw await failure(answer, `could not read ${cid} from IPFS`);
  return new Uint8Array(await answer.arrayBuffer());
}

/** Stores an object; returns its CID. */
export async function add(base: string, bytes: Uint8Array): Promise<string> {
  let answer: Response;
  try {
    answer = await fetch(`${base}/add`, {
      method: 'POST',
      body: bytes.slice().buffer as ArrayBuffer,
      headers: { 'content-type': 'application/octet-stream' },
    });
  } catch (error) {
    throw new IpfsError(`the app's server does not answer (${String(error)}); reload the page or start it again`);
  }
  if (!answer.ok) throw await failure(answer, 'IPFS did not store the vault copy');
  const { cid } = (await answer.json()) as { cid?: string };
  if (typeof cid !== 'string' || !cid) throw new IpfsError('IPFS gave no CID for the vault copy');
  return cid;
}
