// The live feed: WebSocket /api/telematics/live/ws?token=… — a snapshot, then batched positions and alarms.
// Reconnects (with a fresh token) when the connection drops.
import * as api from '../js/api.js';

export class LiveFeed {
  constructor({ onSnapshot, onPositions, onAlarm, onStatus }) {
    this.handlers = { onSnapshot, onPositions, onAlarm, onStatus };
    this.socket = null;
    this.closed = false;
    this.retry = null;
  }

  async open() {
    if (this.closed) return;
    try { await api.get('/api/me'); } catch { /* refreshes an expired token; a real failure shows below */ }
    const token = api.tokens()?.access_token;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/telematics/live/ws?token=${encodeURIComponent(token ?? '')}`);
    this.socket = socket;
    socket.onopen = () => this.handlers.onStatus?.('open');
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'snapshot') this.handlers.onSnapshot?.(message.vehicles);
      else if (message.type === 'positions') this.handlers.onPositions?.(message.items);
      else if (message.type === 'alarm') this.handlers.onAlarm?.(message.alarm, message.event);
      else if (message.type === 'error') this.handlers.onStatus?.('error', message.error);
    };
    socket.onclose = () => {
      this.handlers.onStatus?.('closed');
      if (!this.closed) this.retry = setTimeout(() => this.open(), 2000);
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.close();
  }
}
