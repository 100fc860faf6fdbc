/**
 * Connection: reads the node URL (`/config.json`, `?rpc=` overrides), connects with an
 * auto-reconnecting WsProvider, reports the connection state, and says which chain it is on.
 */
import { ApiPromise, WsProvider } from '@polkadot/api';

export interface Config {
  rpc: string;
  ipfs: string;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'failed';

export interface ChainInfo {
  name: string;
  type: string;
  /** Development or Local: development accounts may be offered. */
  isLocal: boolean;
  genesis: string;
  nodeName: string;
  nodeVersion: string;
}

/** The page's configuration: server.mjs's `/config.json`, `?rpc=` and `?ipfs=` override it. */
export async function loadConfig(search = location.search): Promise<Config> {
  const params = new URLSearchParams(search);
  let config: Config = { rpc: 'ws://127.0.0.1:9944', ipfs: '/ipfs' };
  try {
    const answer = await fetch('/config.json', { cache: 'no-store' });
    if (answer.ok) config = { ...config, ...((await answer.json()) as Partial<Config>) };
  } catch {
    // No server config (e.g. `vite dev`): the defaults and the query string apply.
  }
  const rpc = params.get('rpc');
  if (rpc) {
    if (!/^wss?:\/\//.test(rpc)) throw new Error(`?rpc= must be a ws:// or wss:// URL, not ${rpc}`);
    config.rpc = rpc;
  }
  return config;
}

/** One node connection that reconnects by itself and can be retried by hand. */
export class Connection {
  readonly url: string;
  state: ConnectionState = 'connecting';
  api: ApiPromise | null = null;
  info: ChainInfo | null = null;
  lastError = '';
  private listeners = new Set<(c: Connection) => void>();
  private readyListeners = new Set<(api: ApiPromise) => void>();
  private provider: WsProvider | null = null;

  constructor(url: string) {
    this.url = url;
  }

  /** Called on every state change. */
  onChange(cb: (c: Connection) => void): void {
    this.listeners.add(cb);
  }

  /** Called once per (re)created API when it is ready. */
  onReady(cb: (api: ApiPromise) => void): void {
    this.readyListeners.add(cb);
  }

  private set(state: ConnectionState, error = ''): void {
    this.state = state;
    if (error) this.lastError = error;
    for (const cb of this.listeners) cb(this);
  }

  /**
   * Connects (again); resolves once the API is ready. If the node does not answer within
   * `timeoutMs` the state becomes "failed" (the page shows Retry) but the provider keeps trying by
   * itself: whenever the node comes up, the ready listeners run.
   */
  async connect(timeoutMs = 15_000): Promise<ApiPromise> {
    await this.close();
    this.set('connecting');
    const provider = new WsProvider(this.url, 2_500, {}, timeoutMs);
    this.provider = provider;
    const mine = () => this.provider === provider;
    provider.on('disconnected', () => {
      if (mine() && this.state !== 'failed' && this.state !== 'connecting') this.set('disconnected', `lost the connection to ${this.url}`);
    });
    const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: false });
    this.api = api;
    // The API's own ready-or-error promise rejects when the first connection fails; the state
    // machine here reports that, so the rejection is handled.
    api.isReadyOrError.catch(() => undefined);
    const ready = new Promise<ApiPromise>((resolve) => {
      api.once('ready', () => {
        if (!mine()) return;
        void this.ready(api).then(() => resolve(api));
      });
    });
    api.on('connected', () => mine() && this.info && this.set('connected'));
    api.on('disconnected', () => mine() && this.info && this.set('disconnected', `lost the connection to ${this.url}; reconnecting`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (mine() && this.state !== 'connected') this.set('failed', `the node at ${this.url} does not answer`);
        reject(new Error(`the node at ${this.url} does not answer`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async ready(api: ApiPromise): Promise<void> {
    const [name, type, nodeName, nodeVersion] = await Promise.all([
      api.rpc.system.chain(),
      api.rpc.system.chainType(),
      api.rpc.system.name(),
      api.rpc.system.version(),
    ]);
    this.info = {
      name: name.toString(),
      type: type.toString(),
      isLocal: type.isDevelopment || type.isLocal,
      genesis: api.genesisHash.toHex(),
      nodeName: nodeName.toString(),
      nodeVersion: nodeVersion.toString(),
    };
    this.set('connected');
    for (const cb of this.readyListeners) cb(api);
  }

  async close(): Promise<void> {
    const api = this.api;
    this.provider = null;
    this.api = null;
    if (api) await api.disconnect().catch(() => undefined);
  }
}

/** Words for a connection state. */
export function stateText(c: Connection): string {
  switch (c.state) {
    case 'connecting':
      return `Connecting to ${c.url}…`;
    case 'connected':
      return c.info ? `Connected to ${c.info.name} (${c.info.type})` : 'Connected';
    case 'disconnected':
      return `Not connected: ${c.lastError || 'the node does not answer'}. Trying again by itself.`;
    case 'failed':
      return `Cannot reach the node: ${c.lastError}. Still trying by itself; check that it runs, or press Retry.`;
  }
}
