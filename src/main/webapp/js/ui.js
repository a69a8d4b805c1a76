// Small DOM and formatting helpers shared by the pages. Text is always set with textContent (never innerHTML),
// so nothing the server or the URL says can become markup.

/** document.getElementById that fails loudly when the page lacks the element. */
export function $(id) {
  const element = document.getElementById(id);
  if (!element) {
    throw new Error(`missing element #${id}`);
  }
  return element;
}

/** Creates an element with attributes and children (strings become text nodes). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

/**
 * A table cell with a label for the narrow layout (where rows become stacked cards) and its content in one wrapper,
 * so that the label and the content are the only two parts of the cell.
 */
export function cell(tag, label, attributes, ...children) {
  return el(tag, { ...attributes, 'data-label': label }, el('span', { class: 'cell-content' }, ...children));
}

/** Shows a message in a status/alert element (or hides it when the text is empty). */
export function say(element, text, kind) {
  element.textContent = text || '';
  element.hidden = !text;
  if (kind) {
    element.dataset.kind = kind;
  } else {
    delete element.dataset.kind;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** A <time> element for an ISO-8601 instant, shown as a local date and time. */
export function timeElement(iso, { withDate = true } = {}) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) {
    return el('span', { class: 'muted' }, '—');
  }
  return el('time', { datetime: date.toISOString(), title: date.toString() },
    (withDate ? dateTime : timeOnly).format(date));
}

/** Fills an existing <time> element with an instant. */
export function setTime(element, iso, { withDate = true } = {}) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) {
    element.textContent = '—';
    element.removeAttribute('datetime');
    return;
  }
  element.dateTime = date.toISOString();
  element.title = date.toString();
  element.textContent = (withDate ? dateTime : timeOnly).format(date);
}

/** A duration in milliseconds as "m:ss", or "h:mm:ss" from one hour on. Negative counts as zero. */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A duration for screen readers and titles: "1 hour 5 minutes", "45 seconds". */
export function spokenDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (!h && (s || !m)) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** "Chrome 126 on Linux" from a User-Agent string (the full string stays in a title). */
export function deviceName(userAgent) {
  if (!userAgent) {
    return 'Unknown device';
  }
  const ua = String(userAgent);
  const browser = [
    [/Edg\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[^ ]* .*Safari\//, 'Safari'],
    [/curl\/([\d.]+)/, 'curl'],
    [/Java-http-client\/([\d.]+)/, 'Java HTTP client'],
  ].find(([re]) => re.test(ua));
  const os = [
    [/Windows/, 'Windows'],
    [/Android/, 'Android'],
    [/iPhone|iPad|iOS/, 'iOS'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ].find(([re]) => re.test(ua));
  const name = browser ? `${browser[1]} ${ua.match(browser[0])[1]}` : ua.split(/[ /]/)[0] || 'Unknown';
  return os ? `${name} on ${os[1]}` : name;
}

/** The list inside an API answer that may be a bare array or wrap it in an object ({users: [...]} ...). */
export function listOf(answer, ...keys) {
  if (Array.isArray(answer)) {
    return answer;
  }
  for (const key of keys) {
    if (answer && Array.isArray(answer[key])) {
      return answer[key];
    }
  }
  return [];
}

/** Runs an async action with the button disabled and marked busy. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Marks the page as initialised (the browser tests wait for it). */
export function ready() {
  document.documentElement.dataset.ready = 'true';
}
