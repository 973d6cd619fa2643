/** Encoder settings for unit tests whose transcodes are scripted or tiny: fast and small. */
export const FAST_ENCODE_SETTINGS = {
  videoCodec: "libx264",
  preset: "ultrafast",
  crf: 30,
  threads: 1,
  height: 480,
  fps: "auto",
  audioBitrate: "96k",
  loglevel: "error",
};
