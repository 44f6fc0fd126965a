// The console's map: the offline base map of the routing module (web/map/basemap.js) when a map is imported,
// else a plain background — nothing is fetched from anywhere but this server. Every car is one feature of one
// GeoJSON source drawn by a circle layer coloured by state (data-driven styling): that is what keeps 2,000 cars
// smooth. The source is updated at most four times a second.

export const STATE_COLOURS = {
  moving: '#15803d', idle: '#d97706', off: '#64748b', offline: '#a1a1aa', alarm: '#dc2626',
};
const FALLBACK_CENTRE = [116.3975, 39.9087];
const MAPLIBRE = '/vendor/maplibre-gl/maplibre-gl.mjs';

function ensureCss() {
  if (document.querySelector('link[data-maplibre]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/vendor/maplibre-gl/maplibre-gl.css';
  link.dataset.maplibre = '';
  document.head.append(link);
}

async function plainMap(container, centre) {
  const maplibregl = await import(MAPLIBRE);
  const map = new maplibregl.Map({
    container,
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }] },
    center: centre,
    zoom: 11,
    maxPitch: 0,
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  await new Promise(resolve => (map.loaded() ? resolve() : map.once('load', resolve)));
  return { map, maplibregl, base: 'plain' };
}

/** The map in `container`: {map, maplibregl, base: 'osm' | 'plain'}. */
export async function createMap(container, centre) {
  ensureCss();
  try {
    const { createBaseMap, maplibregl } = await import('/static/map/basemap.js');
    const map = await createBaseMap(container, {});
    return { map, maplibregl, base: 'osm' };
  } catch (error) {
    container.replaceChildren();
    return plainMap(container, centre ?? FALLBACK_CENTRE);
  }
}

const colourByState = ['match', ['get', 'state'], ...Object.entries(STATE_COLOURS).flat(), '#000000'];

/** Sources and layers of the console on a loaded map. */
export function addLayers(map) {
  map.addSource('track', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'track', type: 'line', source: 'track',
    paint: { 'line-color': '#1e5aa8', 'line-width': 3, 'line-opacity': 0.75 } });
  map.addSource('cars', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'cars-selected', type: 'circle', source: 'cars', filter: ['==', ['get', 'selected'], true],
    paint: { 'circle-radius': 11, 'circle-color': '#1e5aa8', 'circle-opacity': 0.25 } });
  map.addLayer({ id: 'cars', type: 'circle', source: 'cars',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 3, 13, 6, 16, 8],
      'circle-color': colourByState,
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.2,
    } });
  map.addSource('replay', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'replay', type: 'circle', source: 'replay',
    paint: { 'circle-radius': 7, 'circle-color': '#1e5aa8', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
}

/** Batches updates of the cars source: `schedule()` redraws at most every `everyMs`. */
export class CarsLayer {
  constructor(map, features, everyMs = 250) {
    this.map = map;
    this.features = features; // () => GeoJSON features
    this.everyMs = everyMs;
    this.timer = null;
    this.last = 0;
  }

  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.everyMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.last = performance.now();
      const source = this.map.getSource('cars');
      if (source) source.setData({ type: 'FeatureCollection', features: this.features() });
    }, wait);
  }

  stop() { clearTimeout(this.timer); this.timer = null; }
}
