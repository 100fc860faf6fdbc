/**
 * The account panel: sign in with the polkadot.js extension, a development account (local
 * chains only), a recovery phrase, or a polkadot.js JSON account file; for an extension account,
 * unlock the envelope key from the same account's phrase or file (checked against the account).
 */
import { $, alertError, fill, h, short, status, uid } from '../lib/dom';
import { belongsTo, DEV_ACCOUNTS, identityFromJson, identityFromUri, type Identity } from '../lib/keys';
import { reportError, state, type Account } from './state';

type OnChange = () => void;
let onChange: OnChange = () => undefined;
let method: 'extension' | 'development' | 'phrase' | 'json' = 'extension';
let extensionAccounts: { address: string; name: string }[] | null = null;
let enabled: Promise<unknown[]> | null = null;

export function setAccountListener(cb: OnChange): void {
  onChange = cb;
}

function signIn(account: Account): void {
  state.account = account;
  alertError('');
  status(`Signed in as ${account.name} (${short(account.address)}).`);
  renderAccount();
  onChange();
}

function signOut(): void {
  // Forget the secrets: zero the envelope key, drop the signing pair.
  state.account?.envelope?.secret.fill(0);
  state.account = null;
  state.data = null;
  status('Signed out. The keys were removed from this page.');
  renderAccount();
  onChange();
}

async function readFile(input: HTMLInputElement): Promise<string> {
  const file = input.files?.[0];
  if (!file) throw new Error('choose a JSON account file first');
  if (file.size > 64 * 1024) throw new Error('this file is too large to be a JSON account file');
  return file.text();
}

function fromIdentity(id: Identity, source: Account['source'], name: string): Account {
  return { address: id.address, name, source, pair: id.pair, envelope: id.envelope };
}

async function connectExtension(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  status('Asking the browser extension for your accounts…');
  try {
    const { web3Accounts, web3Enable } = await import('@polkadot/extension-dapp');
    // web3Enable once per page; asked again only if no extension answered the first time.
    enabled ??= web3Enable('Custodia');
    const extensions = await enabled;
    if (!extensions.length) enabled = null;
    if (!extensions.length) {
      throw new Error(
        'No browser extension answered, or you did not allow Custodia. Install the polkadot.js extension (or allow this site in it), then press "Connect extension" again.',
      );
    }
    const accounts = await web3Accounts();
    if (!accounts.length) {
      throw new Error('The extension shares no account with Custodia: it may be locked, hold no account, or not allow this site. Unlock it or add an account, then try again.');
    }
    extensionAccounts = accounts.map((a) => ({ address: a.address, name: a.meta.name ?? short(a.address) }));
    status(`The extension shares ${accounts.length} account${accounts.length > 1 ? 's' : ''}.`);
    renderAccount();
  } catch (error) {
    reportError('Connecting the extension', error);
  } finally {
    button.disabled = false;
  }
}

async function useExtensionAccount(address: string): Promise<void> {
  try {
    const { web3FromAddress } = await import('@polkadot/extension-dapp');
    const injected = await web3FromAddress(address);
    const found = extensionAccounts?.find((a) => a.address === address);
    signIn({ address, name: found?.name ?? short(address), source: 'extension', signer: injected.signer });
  } catch (error) {
    reportError('Using the extension account', error);
  }
}

function methodRadio(value: typeof method, text: string, hint: string): HTMLElement {
  const id = uid('method');
  return h(
    'label',
    { className: 'inline', for: id },
    h('input', {
      type: 'radio',
      name: 'signin-method',
      id,
      value,
      checked: method === value,
      onchange: () => {
        method = value;
        renderAccount();
      },
    }),
    h('span', {}, text, h('br'), h('span', { className: 'hint' }, hint)),
  );
}

/** Phrase or JSON file: a form that yields an identity. */
function secretForms(purpose: 'signin' | 'unlock', done: (id: Identity, how: 'phrase' | 'json', name: string) => void): HTMLElement[] {
  const phraseId = uid('phrase');
  const fileId = uid('file');
  const pwId = uid('pw');
  const phrase = h('textarea', { id: phraseId, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', rows: 3 }) as HTMLTextAreaElement;
  const file = h('input', { type: 'file', id: fileId, accept: '.json,application/json' }) as HTMLInputElement;
  const password = h('input', { type: 'password', id: pwId, autocomplete: 'off' }) as HTMLInputElement;
  const forUnlock = purpose === 'unlock';
  const phraseButton = h('button', { type: 'submit' }, forUnlock ? 'Unlock with phrase' : 'Use recovery phrase') as HTMLButtonElement;
  const fileButton = h('button', { type: 'submit' }, forUnlock ? 'Unlock with file' : 'Use account file') as HTMLButtonElement;
  const phraseForm = h(
    'form',
    {
      'aria-label': forUnlock ? 'Unlock with a recovery phrase' : 'Sign in with a recovery phrase',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        phraseButton.disabled = true;
        try {
          const id = await identityFromUri(phrase.value, 'recovery phrase');
          phrase.value = '';
          done(id, 'phrase', forUnlock ? '' : `account ${short(id.address)}`);
        } catch (error) {
          reportError(forUnlock ? 'Unlocking the records key' : 'Signing in with the phrase', error);
        } finally {
          phraseButton.disabled = false;
        }
      },
    },
    h('label', { for: phraseId }, forUnlock ? 'Recovery phrase of this account' : 'Recovery phrase'),
    h('p', { className: 'hint', id: `${phraseId}-hint` }, 'The 12 or 24 words from `custodia keys create`, or a secret URI such as //Alice on a test chain. Kept in this page only.'),
    phrase,
    h('div', { className: 'actions' }, phraseButton),
  );
  phrase.setAttribute('aria-describedby', `${phraseId}-hint`);
  const jsonForm = h(
    'form',
    {
      'aria-label': forUnlock ? 'Unlock with a JSON account file' : 'Sign in with a JSON account file',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        fileButton.disabled = true;
        status('Opening the account file (this takes a few seconds)…');
        try {
          const text = await readFile(file);
          const id = await identityFromJson(text, password.value);
          password.value = '';
          done(id, 'json', id.pair.meta.name ? String(id.pair.meta.name) : `account ${short(id.address)}`);
        } catch (error) {
          reportError(forUnlock ? 'Unlocking the records key' : 'Opening the account file', error);
        } finally {
          fileButton.disabled = false;
        }
      },
    },
    h('label', { for: fileId }, forUnlock ? 'JSON account file of this account' : 'JSON account file'),
    file,
    h('label', { for: pwId }, 'Password of the file'),
    password,
    h('div', { className: 'actions' }, fileButton),
  );
  return [phraseForm, jsonForm];
}

export function renderAccount(): void {
  const body = $('account-body');
  const account = state.account;
  const isLocal = state.connection?.info?.isLocal ?? false;
  // On a production chain only the extension signs; phrases and files only unlock the records key.
  if (!isLocal && method !== 'extension') method = 'extension';
  if (account) {
    const envelope = account.envelope
      ? h('p', {}, 'Records key: unlocked (you can share records in vaults).')
      : h(
          'div',
          {},
          h('h3', {}, 'Unlock your records key'),
          h(
            'p',
            { className: 'hint' },
            'The extension signs for you but does not give out the key that opens your records. To share a record in a vault, unlock it from the same account’s recovery phrase or JSON file. It stays in this page only.',
          ),
          secretForms('unlock', (id, how) => {
            if (!belongsTo(id, account.address)) {
              alertError(`Unlocking the records key failed. This ${how === 'json' ? 'file' : 'phrase'} belongs to account ${short(id.address)}, not to the selected account ${short(account.address)}.`);
              return;
            }
            account.envelope = id.envelope;
            alertError('');
            status('Records key unlocked.');
            renderAccount();
            onChange();
          }),
        );
    fill(
      body,
      h('p', {}, 'Signed in as ', h('strong', {}, account.name), ' ', h('span', { className: 'tech' }, account.address)),
      h('p', { className: 'hint' }, `Signing with: ${{ extension: 'the browser extension', development: 'a development account', phrase: 'your recovery phrase (in this page only)', json: 'your JSON account file (in this page only)' }[account.source]}.`),
      envelope,
      h('div', { className: 'actions' }, h('button', { type: 'button', className: 'secondary', onclick: signOut }, 'Sign out')),
    );
    return;
  }
  const panel: HTMLElement[] = [];
  if (method === 'extension') {
    const connect = h('button', { type: 'button' }, 'Connect extension') as HTMLButtonElement;
    connect.addEventListener('click', () => void connectExtension(connect));
    panel.push(h('p', { className: 'hint' }, 'The polkadot.js browser extension keeps your key and asks you before signing anything.'), h('div', { className: 'actions' }, connect));
    if (extensionAccounts?.length) {
      const id = uid('ext');
      const select = h('select', { id }, extensionAccounts.map((a) => h('option', { value: a.address }, `${a.name} (${short(a.address)})`))) as HTMLSelectElement;
      panel.push(
        h('label', { for: id }, 'Extension account'),
        select,
        h('div', { className: 'actions' }, h('button', { type: 'button', onclick: () => void useExtensionAccount(select.value) }, 'Use this account')),
      );
    }
  } else if (method === 'development') {
    const id = uid('dev');
    const select = h('select', { id }, DEV_ACCOUNTS.map((n) => h('option', { value: n }, n))) as HTMLSelectElement;
    const use = h('button', { type: 'button' }, 'Use development account') as HTMLButtonElement;
    use.addEventListener('click', async () => {
      use.disabled = true;
      try {
        const ident = await identityFromUri(`//${select.value}`, select.value);
        signIn(fromIdentity(ident, 'development', select.value));
      } catch (error) {
        reportError('Using the development account', error);
      } finally {
        use.disabled = false;
      }
    });
    panel.push(h('p', { className: 'hint' }, 'Well-known test accounts, offered only on development and local chains.'), h('label', { for: id }, 'Development account'), select, h('div', { className: 'actions' }, use));
  } else {
    const [phraseForm, jsonForm] = secretForms('signin', (id, how, name) => signIn(fromIdentity(id, how, name)));
    panel.push(method === 'phrase' ? phraseForm! : jsonForm!);
  }
  fill(
    body,
    h(
      'fieldset',
      {},
      h('legend', {}, 'How do you want to sign in?'),
      methodRadio('extension', 'Browser extension', 'polkadot.js extension: it signs, the app never sees your key'),
      isLocal ? methodRadio('development', 'Development account', 'Alice, Bob, … (test chains only)') : null,
      isLocal ? methodRadio('phrase', 'Recovery phrase', 'the words you wrote down, or an identity from the custodia client') : null,
      isLocal ? methodRadio('json', 'JSON account file', 'a file from `custodia keys export` or polkadot.js, with its password') : null,
    ),
    isLocal ? null : h('p', { className: 'hint' }, 'On this network only the browser extension signs. Your recovery phrase or account file is asked for only to unlock your records key, after signing in.'),
    panel,
  );
}
