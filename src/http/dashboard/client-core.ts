/**
 * Browser script, part 1: DOM and formatting helpers, the API client and the
 * token kept in sessionStorage. Plain ES2020, no template literals (this text
 * is itself one), no dependencies; everything shown goes through textContent.
 */
export const CLIENT_CORE = String.raw`
var TOKEN_KEY = 'switchyard.token';

function $(id) { return document.getElementById(id); }

function el(tag, attrs, children) {
  var node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svgEl(tag, attrs, children) {
  var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (name) {
    var value = attrs[name];
    if (value === undefined || value === null || value === false) return;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, String(value));
  });
}

function append(node, children) {
  if (children === undefined || children === null) return;
  (Array.isArray(children) ? children : [children]).forEach(function (child) {
    if (child === undefined || child === null || child === false) return;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  });
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

function count(n) { return Number(n || 0).toLocaleString('en-US'); }

function bytes(n) {
  n = Number(n || 0);
  var units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  var i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? String(n) : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2)) + ' ' + units[i];
}

function time(ms) {
  if (ms === undefined || ms === null) return '';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

function age(ms) {
  if (ms === undefined || ms === null || ms < 0) return '–';
  var s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

function shorten(text, max) {
  text = String(text);
  return text.length <= max ? text : text.slice(0, Math.ceil(max / 2) - 1) + '…' + text.slice(text.length - Math.floor(max / 2));
}

function badge(state) { return el('span', { 'class': 'badge ' + state, text: state }); }

function token() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}

function saveToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* storage refused: the token lives for this page only */ }
}

function headers(extra) {
  var h = extra || {};
  var t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

function api(path, options) {
  options = options || {};
  var init = { method: options.method || 'GET', headers: headers(options.body ? { 'Content-Type': 'application/json' } : {}) };
  if (options.body) init.body = JSON.stringify(options.body);
  return fetch(path, init).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (json) {
      if (!response.ok) {
        var err = new Error((json.error && json.error.message) || ('HTTP ' + response.status));
        err.status = response.status;
        err.code = json.error && json.error.code;
        throw err;
      }
      return json;
    });
  });
}

function query(params) {
  var parts = [];
  Object.keys(params).forEach(function (name) {
    var value = params[name];
    if (value !== undefined && value !== null && value !== '') parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(value));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

var toastTimer;
function toast(message, isError) {
  var box = $('toast');
  box.textContent = message;
  box.className = isError ? 'error' : '';
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(function () { box.hidden = true; }, isError ? 8000 : 4000);
}

function failed(what) {
  return function (error) { toast(what + ': ' + error.message, true); };
}
`;
