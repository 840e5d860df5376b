/* The step player as a Streamlit component (the component postMessage protocol, no library).
 *
 * Streamlit sends "streamlit:render" with args {data: the player's JSON text, height: px,
 * narrow_height: px in a frame 480 px wide or less (optional)};
 * the player steps, zooms and inspects in this frame without the script running again. The
 * step reached goes back to Streamlit (setComponentValue) only once stepping has rested for
 * REPORT_MS and never while playing, so the page's downloads know the step while stepping
 * itself never waits for the server. The same data sent again (every rerun) changes nothing;
 * data of the same drawing with other numbers (a value changed, a training step) is swapped into
 * the player shown (GnnPlayer's replace), its view kept; other data mounts a new player.
 */
(function () {
  'use strict';
  var REPORT_MS = 600;
  var player = null, shown = null, timer = null, reported = null;

  function send(type, extra) {
    var message = { isStreamlitMessage: true, type: type };
    for (var k in extra) message[k] = extra[k];
    window.parent.postMessage(message, '*');
  }

  function report(k, playing) {
    if (timer) clearTimeout(timer);
    timer = null;
    if (playing) return;
    timer = setTimeout(function () {
      timer = null;
      if (k !== reported) {
        reported = k;
        send('streamlit:setComponentValue', { value: k, dataType: 'json' });
      }
    }, REPORT_MS);
  }

  window.addEventListener('message', function (event) {
    var msg = event.data;
    if (!msg || msg.type !== 'streamlit:render') return;
    var args = msg.args || {};
    var height = Math.max(320, parseInt(args.height, 10) || 640);
    // a phone-wide frame stacks the player's parts: it may ask for a taller frame
    if (args.narrow_height && window.innerWidth <= 480) height = Math.max(height, parseInt(args.narrow_height, 10) || 0);
    if (args.data !== shown) {
      var data = JSON.parse(args.data);
      var keep = player && player.n === data.n ? player.k : null;
      var start = keep !== null ? keep : (typeof args.step === 'number' ? args.step : data.n);
      var options = { height: height, start: start, onStep: report };
      // new numbers in the same drawing: swapped in place, the view kept; else a new player
      if (!(player && player.replace(data, options))) {
        if (player) player.destroy();
        document.body.className = 'gnn-page ' + (data.dark ? 'gnn-dark' : 'gnn-light');
        var root = document.getElementById('gnn-player');
        root.className = '';
        player = window.gnnPlayer = window.GnnPlayer.mount(root, data, options);
      }
      shown = args.data;
      reported = typeof args.step === 'number' ? args.step : data.n;
      if (start !== reported) report(start, false);
    }
    send('streamlit:setFrameHeight', { height: height });
  });

  send('streamlit:componentReady', { apiVersion: 1 });
})();
