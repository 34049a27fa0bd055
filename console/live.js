// The live channel (spec: websocket-internal.md), used exactly as the spec's client does: the
// official socket.io-client on the /ws/internal namespace with the token in `auth`, `join_report`
// when a report page opens (again after every reconnection, in the `connect` handler),
// `leave_report` when it closes, and `comment.created` for new comments.

import { io } from './vendor/socket.io.esm.min.js';

const JOIN_TIMEOUT_MS = 5000;

export class LiveChannel {
  /** onState({ state, detail }): state is connecting, connected, reconnecting or offline. */
  constructor(token, onState) {
    this.onState = onState;
    this.watched = null; // { reportId, afterCommentId(), onComments, onViewers, onError }
    this.socket = io('/ws/internal', { auth: { token } });
    this.report('connecting');
    this.socket.on('connect', () => {
      this.report('connected');
      this.join();
    });
    this.socket.on('disconnect', (reason) => {
      // active: the client reconnects by itself (and resumes its session if it can).
      this.report(this.socket.active ? 'reconnecting' : 'offline', reason);
    });
    this.socket.on('connect_error', (err) => {
      // Not active: the server refused us (unauthorized, forbidden); no retry will help.
      this.report(this.socket.active ? 'reconnecting' : 'offline', err.message);
    });
    this.socket.on('comment.created', (comment) => {
      if (comment && this.watched && comment.report_id === this.watched.reportId) {
        this.watched.onComments([comment], false);
      }
    });
    this.socket.on('report.viewers', (event) => {
      if (event && this.watched && event.reportId === this.watched.reportId) {
        this.watched.onViewers?.(event.viewers);
      }
    });
  }

  report(state, detail = '') {
    this.state = state;
    this.onState({ state, detail });
  }

  /**
   * Follows one report: joins its room now if connected (else on connect). `afterCommentId()`
   * is the last comment shown, so that the join's ack also brings those committed since.
   */
  // onComments(comments, more): more is true when more were missed than the ack carries.
  watch(reportId, { afterCommentId, onComments, onViewers, onError }) {
    this.unwatch();
    this.watched = { reportId, afterCommentId, onComments, onViewers, onError };
    if (this.socket.connected) this.join();
  }

  unwatch() {
    if (!this.watched) return;
    const { reportId } = this.watched;
    this.watched = null;
    if (this.socket.connected) this.socket.emit('leave_report', { reportId });
  }

  async join() {
    const watched = this.watched;
    if (!watched) return;
    let ack;
    try {
      ack = await this.socket.timeout(JOIN_TIMEOUT_MS).emitWithAck('join_report', {
        reportId: watched.reportId,
        afterCommentId: watched.afterCommentId(),
      });
    } catch {
      if (this.watched === watched) watched.onError('The live channel did not answer; new comments may need a reload.');
      return;
    }
    if (this.watched !== watched) return;
    if (!ack?.ok) {
      watched.onError(ack?.error?.message ?? 'The report could not be followed live.');
      return;
    }
    if (Array.isArray(ack.comments)) watched.onComments(ack.comments, ack.more === true);
    if (Array.isArray(ack.viewers)) watched.onViewers?.(ack.viewers);
  }

  close() {
    this.unwatch();
    this.socket.close();
  }
}
