/**
 * `/clicks.js`, for landing pages: keeps the `click_id` Meta appends to the landing URL (for the
 * visit's later pages too) and reports `landing_page_view` once per click; then
 * `whatsappClicks.report('purchase', { value: 42, currency: 'EUR' })` reports what the visitor
 * did. Sends with `fetch(..., { keepalive: true })`, so a report survives the page being left.
 */
export function clicksSnippet(conversionsPath: string): string {
  const path = JSON.stringify(`/${conversionsPath.replace(/^\/+/, '')}`);
  return `/* nestjs-whatsapp-clicks: report what a visitor from a WhatsApp marketing message does */
(function () {
  var script = document.currentScript;
  var endpoint = new URL(${path}, script && script.src ? script.src : location.href).href;
  var params = new URLSearchParams(location.search);
  var fromUrl = params.get('click_id');
  var clickId = fromUrl;
  try {
    if (fromUrl) sessionStorage.setItem('whatsapp_click_id', fromUrl);
    else clickId = sessionStorage.getItem('whatsapp_click_id');
  } catch (e) {}
  function report(event, details) {
    if (!clickId) return false;
    var conversion = { clickId: clickId, event: event, occurredAt: new Date().toISOString() };
    for (var key in details || {}) conversion[key] = details[key];
    try {
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(conversion),
        keepalive: true,
        credentials: 'omit',
      }).catch(function () {});
    } catch (e) {
      return false;
    }
    return true;
  }
  window.whatsappClicks = { clickId: clickId, report: report };
  if (fromUrl) report('landing_page_view', { id: 'landing_page_view:' + fromUrl });
})();
`;
}
