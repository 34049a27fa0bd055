// Follows one report's internal comments live, as the front end does (the client example of
// the live-channel spec): connect to /ws/internal with a token, join the report's room, print
// every comment.created.
import { io } from 'socket.io-client';

const [reportId, token, url = process.env.REPORTD_URL ?? 'http://localhost:3000'] =
  process.argv.slice(2);
if (!reportId || !token) {
  console.error('usage: scripts/watch-report <reportId> <token> [url]');
  process.exit(2);
}

const socket = io(`${url}/ws/internal`, { auth: { token } });
socket.on('connect', () => {
  console.log(`connected as ${socket.id}; joining report ${reportId}`);
  socket.emit('join_report', { reportId: Number(reportId) }, (answer) => {
    if (answer?.ok) console.log(`following ${answer.room}; waiting for comments (Ctrl-C to stop)`);
    else console.error('join refused:', answer?.error);
  });
});
socket.on('connect_error', (err) => {
  console.error(`connect_error: ${err.message}`, err.data ?? '');
  if (err.message === 'unauthorized' || err.message === 'forbidden') process.exit(1);
});
socket.on('comment.created', (payload) => console.log('comment.created', payload));
socket.on('disconnect', (reason) => console.log(`disconnected: ${reason}`));
