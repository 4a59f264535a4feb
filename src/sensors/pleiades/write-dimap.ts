/**
 * Writes a Pléiades DIMAP V2 product folder from a sensor-geometry image and its RPC (used by the stereo scene
 * simulator): DIM_<name>.XML (metadata), RPC_<name>.XML (RPC, 1-based image coordinates) and IMG_<name>.TIF (a COG
 * without georeferencing, carrying the RPC tag 50844 and the TIFF DateTime too). openPleiadesDimap reads it back
 * with the same bands, pixels, RPC, time and angles. Files are written under temporary names, then renamed.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GepError } from '../../core/errors.ts';
import { rpcLocalize, validateRpc } from '../../algorithms/stereo/rpc.ts';
import { writeCog } from '../../raster/cog/write.ts';
import type { Raster, RpcModel } from '../../raster/types.ts';
import { formatDimapRpcXml } from './rpc-xml.ts';
import { esc } from '../xml.ts';

export interface WriteDimapOptions {
  datasetName: string;
  platform: 'PHR1A' | 'PHR1B';
  /** ISO 8601 acquisition time (UTC). */
  datetime: string;
  /** uint16 sensor-geometry image: 1 band 'P' or 4 bands 'B0'..'B3'. */
  raster: Raster;
  /** Model of `raster` (GeoTIFF-tag convention, see src/algorithms/stereo/rpc.ts). */
  rpc: RpcModel;
  /** Degrees: sun zenith (90 - elevation) and azimuth (clockwise from north). */
  sun: { zenith: number; azimuth: number };
  /** Degrees: viewing incidence angle at the ground and azimuth of the satellite seen from the ground. */
  view: { incidence: number; azimuth: number };
  /** Ground sample distance in metres. */
  gsd: number;
  /** ISO 8601 production time; defaults to `datetime` so that the same inputs write the same files. */
  productionDate?: string;
}

/** Nominal Pléiades spectral ranges (µm). */
const RANGES: Record<string, [number, number]> = { P: [0.47, 0.83], B0: [0.43, 0.55], B1: [0.49, 0.61], B2: [0.6, 0.72], B3: [0.75, 0.95] };

function check(o: WriteDimapOptions): string[] {
  const bad = (m: string): never => {
    throw new GepError('GEP_ERR_INVALID_INPUT', `writeDimap: ${m}`);
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(o.datasetName)) bad(`datasetName '${o.datasetName}' must be letters, digits, '_', '-', '.'`);
  if (o.platform !== 'PHR1A' && o.platform !== 'PHR1B') bad(`platform must be PHR1A or PHR1B, got '${String(o.platform)}'`);
  if (Number.isNaN(new Date(o.datetime).getTime())) bad(`datetime '${o.datetime}' is not ISO 8601`);
  if (o.raster.dataType !== 'uint16') bad(`raster must be uint16, got ${o.raster.dataType}`);
  const n = o.raster.bands.length;
  if (n !== 1 && n !== 4) bad(`raster must have 1 (P) or 4 (B0..B3) bands, got ${n}`);
  for (const v of [o.sun.zenith, o.sun.azimuth, o.view.incidence, o.view.azimuth, o.gsd])
    if (!Number.isFinite(v)) bad('sun, view and gsd must be finite numbers');
  if (!(o.gsd > 0)) bad('gsd must be positive');
  validateRpc(o.rpc, 'writeDimap rpc');
  return n === 1 ? ['P'] : ['B0', 'B1', 'B2', 'B3'];
}

/** Writes the DIMAP folder; returns the path of DIM_<datasetName>.XML. */
export async function writeDimap(outDir: string, opts: WriteDimapOptions): Promise<string> {
  const bandIds = check(opts);
  const { datasetName: name, raster, rpc } = opts;
  await mkdir(outDir, { recursive: true });
  const t = new Date(opts.datetime).toISOString();
  const dimName = `DIM_${name}.XML`;
  const rpcName = `RPC_${name}.XML`;
  const imgName = `IMG_${name}.TIF`;

  // Image outline on the ground at the model's mean height (1-based image coordinates in the XML).
  const { width: w, height: h } = raster;
  const corners: [number, number][] = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  const ground = corners.map(([c, r]) => rpcLocalize(rpc, c, r, rpc.heightOffset));
  const lons = ground.map((g) => g[0]);
  const lats = ground.map((g) => g[1]);
  const centre = rpcLocalize(rpc, w / 2, h / 2, rpc.heightOffset);

  const rpcXml = formatDimapRpcXml(rpc, {
    validity: {
      firstRow: 1,
      firstCol: 1,
      lastRow: h,
      lastCol: w,
      firstLon: Math.min(...lons),
      firstLat: Math.min(...lats),
      lastLon: Math.max(...lons),
      lastLat: Math.max(...lats),
    },
  });

  const mission = 'PHR';
  const index = opts.platform.slice(3);
  const located = (type: string): string => `      <Located_Geometric_Values>
        <LOCATION_TYPE>${type}</LOCATION_TYPE>
        <TIME>${t}</TIME>
        <COL>${type === 'Center' ? (w + 1) / 2 : 1}</COL>
        <ROW>${type === 'Top' ? 1 : type === 'Center' ? (h + 1) / 2 : h}</ROW>
        <Acquisition_Angles>
          <AZIMUTH_ANGLE unit="deg">${opts.view.azimuth}</AZIMUTH_ANGLE>
          <INCIDENCE_ANGLE unit="deg">${opts.view.incidence}</INCIDENCE_ANGLE>
        </Acquisition_Angles>
        <Solar_Incidences>
          <SUN_AZIMUTH unit="deg">${opts.sun.azimuth}</SUN_AZIMUTH>
          <SUN_ELEVATION unit="deg">${90 - opts.sun.zenith}</SUN_ELEVATION>
        </Solar_Incidences>
        <Ground_Sample_Distance>
          <GSD_ACROSS_TRACK unit="m">${opts.gsd}</GSD_ACROSS_TRACK>
          <GSD_ALONG_TRACK unit="m">${opts.gsd}</GSD_ALONG_TRACK>
        </Ground_Sample_Distance>
      </Located_Geometric_Values>`;
  const vertex = (i: number): string => {
    const [c, r] = corners[i]!;
    return `      <Vertex><LON>${ground[i]![0]}</LON><LAT>${ground[i]![1]}</LAT><COL>${Math.max(1, c)}</COL><ROW>${Math.max(1, r)}</ROW></Vertex>`;
  };
  const spectral = bandIds
    .map((id) => `          <Band_Spectral_Range><BAND_ID>${id}</BAND_ID><MEASURE_UNIT>micrometer</MEASURE_UNIT><MIN>${RANGES[id]![0]}</MIN><MAX>${RANGES[id]![1]}</MAX></Band_Spectral_Range>`)
    .join('\n');
  const radiance = bandIds
    .map((id) => `          <Band_Radiance><BAND_ID>${id}</BAND_ID><MEASURE_UNIT>W.m-2.sr-1.um-1</MEASURE_UNIT><GAIN>1</GAIN><BIAS>0</BIAS></Band_Radiance>`)
    .join('\n');
  const display = bandIds.length === 4 ? ['B2', 'B1', 'B0'] : ['P', 'P', 'P'];
  const dimXml = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<Dimap_Document>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>PHR_SENSOR</METADATA_PROFILE>
    <METADATA_SUBPROFILE>PRODUCT</METADATA_SUBPROFILE>
    <METADATA_LANGUAGE>en</METADATA_LANGUAGE>
  </Metadata_Identification>
  <Dataset_Identification>
    <DATASET_NAME version="1.0">${esc(name)}</DATASET_NAME>
    <DATASET_TYPE>RASTER</DATASET_TYPE>
  </Dataset_Identification>
  <Dataset_Content>
    <SURFACE_AREA unit="square km">${((w * h * opts.gsd * opts.gsd) / 1e6).toFixed(6)}</SURFACE_AREA>
    <Dataset_Extent>
      <EXTENT_TYPE>Polygon</EXTENT_TYPE>
${[0, 1, 2, 3].map(vertex).join('\n')}
      <Center><LON>${centre[0]}</LON><LAT>${centre[1]}</LAT></Center>
    </Dataset_Extent>
  </Dataset_Content>
  <Product_Information>
    <Delivery_Identification>
      <PRODUCTION_DATE>${opts.productionDate ?? opts.datetime}</PRODUCTION_DATE>
      <PRODUCT_TYPE>SENSOR</PRODUCT_TYPE>
    </Delivery_Identification>
    <Product_Options>
      <PROCESSING_LEVEL>SENSOR</PROCESSING_LEVEL>
    </Product_Options>
  </Product_Information>
  <Coordinate_Reference_System>
    <Geodetic_CRS><GEODETIC_CRS_TYPE>GEOGRAPHIC</GEODETIC_CRS_TYPE><GEODETIC_CRS_CODE>urn:ogc:def:crs:EPSG::4326</GEODETIC_CRS_CODE></Geodetic_CRS>
  </Coordinate_Reference_System>
  <Geoposition>
    <Raster_CRS><RASTER_GEOMETRY>POINT</RASTER_GEOMETRY><PIXEL_ORIGIN>1</PIXEL_ORIGIN></Raster_CRS>
    <Geoposition_Models>
      <Rational_Function_Model>
        <Component>
          <COMPONENT_TITLE>RPC Model</COMPONENT_TITLE>
          <COMPONENT_TYPE>DIMAP</COMPONENT_TYPE>
          <COMPONENT_PATH href="${esc(rpcName)}"/>
        </Component>
      </Rational_Function_Model>
    </Geoposition_Models>
  </Geoposition>
  <Raster_Data>
    <Data_Access>
      <DATA_FILE_ORGANISATION>BAND_COMPOSITE</DATA_FILE_ORGANISATION>
      <DATA_FILE_FORMAT version="6.0">image/tiff</DATA_FILE_FORMAT>
      <DATA_FILE_TILES>false</DATA_FILE_TILES>
      <Data_Files>
        <Data_File tile_R="1" tile_C="1"><DATA_FILE_PATH href="${esc(imgName)}"/></Data_File>
      </Data_Files>
    </Data_Access>
    <Raster_Dimensions>
      <NROWS>${h}</NROWS>
      <NCOLS>${w}</NCOLS>
      <NBANDS>${bandIds.length}</NBANDS>
    </Raster_Dimensions>
    <Raster_Encoding>
      <DATA_TYPE>INTEGER</DATA_TYPE>
      <NBITS>16</NBITS>
      <SIGN>UNSIGNED</SIGN>
      <BANDS_LAYOUT>BIP</BANDS_LAYOUT>
    </Raster_Encoding>
    <Raster_Display>
      <Band_Display_Order><RED_CHANNEL>${display[0]}</RED_CHANNEL><GREEN_CHANNEL>${display[1]}</GREEN_CHANNEL><BLUE_CHANNEL>${display[2]}</BLUE_CHANNEL></Band_Display_Order>
      <Special_Value><SPECIAL_VALUE_COUNT>0</SPECIAL_VALUE_COUNT><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT></Special_Value>
    </Raster_Display>
  </Raster_Data>
  <Radiometric_Data>
    <Radiometric_Processing>BASIC</Radiometric_Processing>
    <Radiometric_Calibration>
      <Instrument_Calibration>
        <Band_Measurement_List>
${spectral}
${radiance}
        </Band_Measurement_List>
      </Instrument_Calibration>
    </Radiometric_Calibration>
  </Radiometric_Data>
  <Geometric_Data>
    <Use_Area>
${located('Top')}
${located('Center')}
${located('Bottom')}
    </Use_Area>
  </Geometric_Data>
  <Dataset_Sources>
    <Source_Identification>
      <SOURCE_ID>${esc(name)}</SOURCE_ID>
      <SOURCE_TYPE>Strip</SOURCE_TYPE>
      <Strip_Source>
        <MISSION>${mission}</MISSION>
        <MISSION_INDEX>${index}</MISSION_INDEX>
        <INSTRUMENT>PHR</INSTRUMENT>
        <INSTRUMENT_INDEX>${index === '1A' ? 1 : 2}</INSTRUMENT_INDEX>
        <IMAGING_DATE>${t.slice(0, 10)}</IMAGING_DATE>
        <IMAGING_TIME>${t.slice(11, -1)}</IMAGING_TIME>
        <BAND_MODE>${bandIds.length === 1 ? 'P' : 'MS'}</BAND_MODE>
      </Strip_Source>
    </Source_Identification>
  </Dataset_Sources>
</Dimap_Document>
`;

  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  const jobs: [string, string][] = [
    [join(outDir, imgName + tmp), join(outDir, imgName)],
    [join(outDir, rpcName + tmp), join(outDir, rpcName)],
    [join(outDir, dimName + tmp), join(outDir, dimName)],
  ];
  try {
    await writeCog(jobs[0]![0], { ...raster, transform: null, crs: null, bandNames: bandIds }, { rpc, datetime: t });
    await writeFile(jobs[1]![0], rpcXml, 'utf8');
    await writeFile(jobs[2]![0], dimXml, 'utf8');
    for (const [a, b] of jobs) await rename(a, b);
  } catch (e) {
    await Promise.all(jobs.map(([a]) => rm(a, { force: true })));
    throw e;
  }
  return join(outDir, dimName);
}
