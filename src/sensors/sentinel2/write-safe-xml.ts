/**
 * XML documents of a minimal but structurally faithful Sentinel-2 SAFE (ESA PSD 14.9 element names and nesting):
 * MTD_MSIL1C.xml / MTD_MSIL2A.xml, MTD_TL.xml, DATASTRIP MTD_DS.xml and the XFDU manifest.safe.
 * Only the fields our reader (and common tools) use are filled; see the PSD for the full schemas.
 */
import type { GeoTransform } from '../../raster/types.ts';
import type { AngleStats } from '../types.ts';
import { s2Band } from './bands.ts';
import { esc } from '../xml.ts';

export interface SafeNames {
  level: 'L1C' | 'L2A';
  mission: string; // 'S2A'
  spacecraft: string; // 'Sentinel-2A'
  safeName: string;
  granule: string;
  datastrip: string;
  tileId: string;
  startTime: string; // ISO with milliseconds
  generationTime: string;
  baseline: string;
  relativeOrbit: number;
  absoluteOrbit: number;
}

export interface WrittenGrid {
  resolution: number;
  width: number;
  height: number;
  transform: GeoTransform;
}

const HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n';

export function productMtdXml(
  n: SafeNames,
  imageFiles: string[],
  opts: { cloudCover: number; offset: number | null; bandNames: string[] },
): string {
  const l1c = n.level === 'L1C';
  const root = l1c ? 'Level-1C_User_Product' : 'Level-2A_User_Product';
  const psd = `https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-${l1c ? '1C' : '2A'}.xsd`;
  const files = imageFiles.map((f) => `              <IMAGE_FILE>${esc(f.replace(/\.jp2$/, ''))}</IMAGE_FILE>`).join('\n');
  const ids = opts.bandNames.map((b) => s2Band(b)?.bandId).filter((i): i is number => i !== undefined);
  const offsetTag = l1c ? 'RADIO_ADD_OFFSET' : 'BOA_ADD_OFFSET';
  const offsets =
    opts.offset === null
      ? ''
      : `      <${l1c ? 'Radiometric_Offset_List' : 'BOA_ADD_OFFSET_VALUES_LIST'}>
${ids.map((i) => `        <${offsetTag} band_id="${i}">${opts.offset}</${offsetTag}>`).join('\n')}
      </${l1c ? 'Radiometric_Offset_List' : 'BOA_ADD_OFFSET_VALUES_LIST'}>\n`;
  const quant = l1c
    ? '      <QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>\n'
    : `      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
        <WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>\n`;
  return `${HEADER}<n1:${root} xmlns:n1="${psd}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>${n.startTime}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>${n.startTime}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>${esc(n.safeName)}</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-${l1c ? '1C' : '2A'}</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI${l1c ? '1C' : '2A'}</PRODUCT_TYPE>
      <PROCESSING_BASELINE>${esc(n.baseline)}</PROCESSING_BASELINE>
      <GENERATION_TIME>${n.generationTime}</GENERATION_TIME>
      <Datatake datatakeIdentifier="G${n.mission}_${n.startTime.replace(/[-:]/g, '').slice(0, 15)}_${String(n.absoluteOrbit).padStart(6, '0')}_N${esc(n.baseline)}">
        <SPACECRAFT_NAME>${esc(n.spacecraft)}</SPACECRAFT_NAME>
        <DATATAKE_TYPE>INS-NOBS</DATATAKE_TYPE>
        <DATATAKE_SENSING_START>${n.startTime}</DATATAKE_SENSING_START>
        <SENSING_ORBIT_NUMBER>${n.relativeOrbit}</SENSING_ORBIT_NUMBER>
        <SENSING_ORBIT_DIRECTION>DESCENDING</SENSING_ORBIT_DIRECTION>
      </Datatake>
      <Query_Options completeSingleTile="true">
        <PRODUCT_FORMAT>SAFE_COMPACT</PRODUCT_FORMAT>
        <Band_List>
${opts.bandNames.map((b) => `          <BAND_NAME>${b.replace(/^B0/, 'B')}</BAND_NAME>`).join('\n')}
        </Band_List>
      </Query_Options>
      <Product_Organisation>
        <Granule_List>
          <Granule datastripIdentifier="${esc(n.datastrip)}" granuleIdentifier="${esc(n.granule)}" imageFormat="JPEG2000">
${files}
          </Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
      <Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
${quant}${offsets}    </Product_Image_Characteristics>
  </n1:General_Info>
  <n1:Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>${opts.cloudCover}</Cloud_Coverage_Assessment>
  </n1:Quality_Indicators_Info>
</n1:${root}>
`;
}

function valuesList(rows: number, cols: number, v: number): string {
  const row = Array.from({ length: cols }, () => String(v)).join(' ');
  return Array.from({ length: rows }, () => `            <VALUES>${row}</VALUES>`).join('\n');
}

export function tileMtdXml(
  n: SafeNames,
  grids: WrittenGrid[],
  epsg: number,
  sun: AngleStats,
  view: AngleStats | undefined,
  bandNames: string[],
  masks: { band: string; file: string }[],
  cloudCover: number,
): string {
  const l1c = n.level === 'L1C';
  const root = l1c ? 'Level-1C_Tile_ID' : 'Level-2A_Tile_ID';
  const psd = `https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-${l1c ? '1C' : '2A'}_Tile_Metadata.xsd`;
  const zone = epsg % 100;
  const hemi = Math.floor(epsg / 100) === 327 ? 'S' : 'N';
  const sizes = grids
    .map((g) => `      <Size resolution="${g.resolution}"><NROWS>${g.height}</NROWS><NCOLS>${g.width}</NCOLS></Size>`)
    .join('\n');
  const pos = grids
    .map(
      (g) =>
        `      <Geoposition resolution="${g.resolution}"><ULX>${g.transform[0]}</ULX><ULY>${g.transform[3]}</ULY>` +
        `<XDIM>${g.transform[1]}</XDIM><YDIM>${g.transform[5]}</YDIM></Geoposition>`,
    )
    .join('\n');
  const fine = grids[0]!;
  const cols = Math.max(2, Math.ceil((fine.width * Math.abs(fine.transform[1])) / 5000) + 1);
  const rows = Math.max(2, Math.ceil((fine.height * Math.abs(fine.transform[5])) / 5000) + 1);
  const grid = (v: number): string =>
    `<COL_STEP unit="m">5000</COL_STEP><ROW_STEP unit="m">5000</ROW_STEP>\n          <Values_List>\n${valuesList(rows, cols, v)}\n          </Values_List>`;
  const viewMeans = view
    ? `      <Mean_Viewing_Incidence_Angle_List>
${bandNames
  .map((b) => s2Band(b)?.bandId)
  .filter((i): i is number => i !== undefined)
  .map(
    (i) =>
      `        <Mean_Viewing_Incidence_Angle bandId="${i}"><ZENITH_ANGLE unit="deg">${view.zenith}</ZENITH_ANGLE><AZIMUTH_ANGLE unit="deg">${view.azimuth}</AZIMUTH_ANGLE></Mean_Viewing_Incidence_Angle>`,
  )
  .join('\n')}
      </Mean_Viewing_Incidence_Angle_List>\n`
    : '';
  const maskLines = masks
    .map((m) => `      <MASK_FILENAME bandId="${s2Band(m.band)?.bandId ?? ''}" type="MSK_DETFOO">${esc(m.file)}</MASK_FILENAME>`)
    .join('\n');
  return `${HEADER}<n1:${root} xmlns:n1="${psd}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <n1:General_Info>
    <TILE_ID metadataLevel="Brief">${n.mission}_OPER_MSI_${n.level}_TL_2BPS_${n.generationTime.replace(/[-:]/g, '').slice(0, 15)}_A${String(n.absoluteOrbit).padStart(6, '0')}_T${n.tileId}_N${esc(n.baseline)}</TILE_ID>
    <DATASTRIP_ID metadataLevel="Standard">${esc(n.datastrip)}</DATASTRIP_ID>
    <SENSING_TIME metadataLevel="Standard">${n.startTime}</SENSING_TIME>
  </n1:General_Info>
  <n1:Geometric_Info>
    <Tile_Geocoding metadataLevel="Brief">
      <HORIZONTAL_CS_NAME>WGS84 / UTM zone ${zone}${hemi}</HORIZONTAL_CS_NAME>
      <HORIZONTAL_CS_CODE>EPSG:${epsg}</HORIZONTAL_CS_CODE>
${sizes}
${pos}
    </Tile_Geocoding>
    <Tile_Angles metadataLevel="Standard">
      <Sun_Angles_Grid>
        <Zenith>
          ${grid(sun.zenith)}
        </Zenith>
        <Azimuth>
          ${grid(sun.azimuth)}
        </Azimuth>
      </Sun_Angles_Grid>
      <Mean_Sun_Angle><ZENITH_ANGLE unit="deg">${sun.zenith}</ZENITH_ANGLE><AZIMUTH_ANGLE unit="deg">${sun.azimuth}</AZIMUTH_ANGLE></Mean_Sun_Angle>
${viewMeans}    </Tile_Angles>
  </n1:Geometric_Info>
  <n1:Quality_Indicators_Info metadataLevel="Standard">
    <Image_Content_QI><CLOUDY_PIXEL_PERCENTAGE>${cloudCover}</CLOUDY_PIXEL_PERCENTAGE></Image_Content_QI>
    <Pixel_Level_QI geometry="FULL_RESOLUTION">
${maskLines}
    </Pixel_Level_QI>
  </n1:Quality_Indicators_Info>
</n1:${root}>
`;
}

export function datastripMtdXml(n: SafeNames): string {
  return `${HEADER}<n1:Level-${n.level === 'L1C' ? '1C' : '2A'}_DataStrip_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-${n.level === 'L1C' ? '1C' : '2A'}_Datastrip_Metadata.xsd">
  <n1:General_Info>
    <Datastrip_Time_Info><DATASTRIP_SENSING_START>${n.startTime}</DATASTRIP_SENSING_START><DATASTRIP_SENSING_STOP>${n.startTime}</DATASTRIP_SENSING_STOP></Datastrip_Time_Info>
    <Processing_Info><PROCESSING_BASELINE>${esc(n.baseline)}</PROCESSING_BASELINE></Processing_Info>
  </n1:General_Info>
</n1:Level-${n.level === 'L1C' ? '1C' : '2A'}_DataStrip_ID>
`;
}

/** XFDU manifest listing every data object with its size and SHA3-256 checksum. */
export function manifestXml(n: SafeNames, objects: { id: string; rel: string; size: number; sha3: string; mime: string }[]): string {
  const content = objects.map((o) => `      <xfdu:contentUnit unitType="Data_Object"><dataObjectPointer dataObjectID="${esc(o.id)}"/></xfdu:contentUnit>`).join('\n');
  const data = objects
    .map(
      (o) => `    <dataObject ID="${esc(o.id)}">
      <byteStream mimeType="${o.mime}" size="${o.size}">
        <fileLocation locatorType="URL" href="./${esc(o.rel)}"/>
        <checksum checksumName="SHA3-256">${o.sha3}</checksum>
      </byteStream>
    </dataObject>`,
    )
    .join('\n');
  const unit = n.level === 'L1C' ? 'Product_Level-1C' : 'Product_Level-2A';
  return `${HEADER}<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1" xmlns:safe="http://www.esa.int/safe/sentinel/1.1" xmlns:gml="http://www.opengis.net/gml" version="esa/safe/sentinel/1.1/sentinel-2/msi/archive_${n.level.toLowerCase()}_user_product">
  <informationPackageMap>
    <xfdu:contentUnit unitType="${unit}" textInfo="SENTINEL-2 MSI ${n.level === 'L1C' ? 'Level-1C' : 'Level-2A'} User Product" pdiID="processing" dmdID="acquisitionPeriod platform">
${content}
    </xfdu:contentUnit>
  </informationPackageMap>
  <metadataSection>
    <metadataObject ID="acquisitionPeriod" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Acquisition Period">
        <xmlData><safe:acquisitionPeriod><safe:startTime>${n.startTime}</safe:startTime></safe:acquisitionPeriod></xmlData>
      </metadataWrap>
    </metadataObject>
    <metadataObject ID="platform" classification="DESCRIPTION" category="DMD">
      <metadataWrap mimeType="text/xml" vocabularyName="SAFE" textInfo="Platform Description">
        <xmlData><safe:platform><safe:familyName>SENTINEL</safe:familyName><safe:number>${n.mission.slice(1)}</safe:number><safe:instrument><safe:familyName abbreviation="MSI">Multi-Spectral Instrument</safe:familyName></safe:instrument></safe:platform></xmlData>
      </metadataWrap>
    </metadataObject>
  </metadataSection>
  <dataObjectSection>
${data}
  </dataObjectSection>
</xfdu:XFDU>
`;
}
