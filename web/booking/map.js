// A small trip map for the booking pages: the offline base map (web/map/basemap.js), the pick-up (green),
// the drop-off (red), the assigned car (blue) and the route. Tapping the map picks a point when asked to.
// Nothing is fetched from anywhere but this server.

const COLOURS = { pickup: '#15803d', dropoff: '#b91c1c', car: '#1e5aa8' };

function ensureCss() {
  if (document.querySelector('link[data-maplibre]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/vendor/maplibre-gl/maplibre-gl.css';
  link.dataset.maplibre = '';
  document.head.append(link);
}

/** A trip map in `container`, or null when no map is imported (the page then works without one). */
export async function tripMap(container, { onPick } = {}) {
  ensureCss();
  let map;
  try {
    const { createBaseMap } = await import('/static/map/basemap.js');
    map = await createBaseMap(container, { attributionControl: { compact: true } });
  } catch {
    container.hidden = true;
    return null;
  }
  const points = {};
  let route = null;
  map.addSource('trip-route', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'trip-route', type: 'line', source: 'trip-route',
    paint: { 'line-color': '#1e5aa8', 'line-width': 4, 'line-opacity': 0.6 } });
  map.addSource('trip-points', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'trip-points', type: 'circle', source: 'trip-points',
    paint: {
      'circle-radius': ['match', ['get', 'kind'], 'car', 9, 8],
      'circle-color': ['match', ['get', 'kind'], 'pickup', COLOURS.pickup, 'dropoff', COLOURS.dropoff, COLOURS.car],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
    } });

  function redraw() {
    const features = Object.entries(points).filter(([, p]) => p).map(([kind, p]) => ({
      type: 'Feature', properties: { kind }, geometry: { type: 'Point', coordinates: p } }));
    map.getSource('trip-points')?.setData({ type: 'FeatureCollection', features });
    map.getSource('trip-route')?.setData({ type: 'FeatureCollection', features: route
      ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: route } }] : [] });
  }

  let picking = null;
  map.on('click', (event) => {
    if (!picking || !onPick) return;
    const kind = picking;
    picking = null;
    map.getCanvas().style.cursor = '';
    onPick(kind, [event.lngLat.lng, event.lngLat.lat]);
  });
  new ResizeObserver(() => map.resize()).observe(container);

  return {
    map,
    /** Wait for a tap that sets the `kind` point. */
    pick(kind) { picking = kind; map.getCanvas().style.cursor = 'crosshair'; },
    get picking() { return picking; },
    set(kind, lonlat) { points[kind] = lonlat; redraw(); },
    route(coords) { route = coords; redraw(); },
    fit() {
      const all = [...Object.values(points).filter(Boolean), ...(route ?? [])];
      if (!all.length) return;
      map.resize();
      const lons = all.map(p => p[0]);
      const lats = all.map(p => p[1]);
      map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
        { padding: 40, maxZoom: 16, duration: 0 });
    },
    remove() { map.remove(); },
  };
}
