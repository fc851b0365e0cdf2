// Reads a QR code with the camera, so nobody has to type or paste a 53-character NodeId. Frames are
// decoded here in the page and never leave the device: by the browser's BarcodeDetector where it
// has one for QR codes, else by jsQR, which is loaded only when a scan starts. The camera stops as
// soon as a code is taken, the scan is closed, or the screen changes.
import { useEffect, useRef, useState } from 'preact/hooks';

/** Says why `text` is not what this scan is for (the scan goes on), or undefined to take it (the scan ends). */
export type QrCheck = (text: string) => string | undefined;

type FrameDecoder = (video: HTMLVideoElement) => Promise<string | undefined>;

interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<Array<{ rawValue: string }>>;
}
interface BarcodeDetectorClass {
  new (opts: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats?(): Promise<string[]>;
}

/** Frames are scaled to at most this width before jsQR reads them: the cost of a frame stays bounded. */
const MAX_WIDTH = 640;
const FRAME_INTERVAL_MS = 150;

async function frameDecoder(): Promise<FrameDecoder> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  const formats = Detector ? await Detector.getSupportedFormats?.().catch(() => []) : [];
  if (Detector && formats?.includes('qr_code')) {
    const detector = new Detector({ formats: ['qr_code'] });
    return async (video) => (await detector.detect(video))[0]?.rawValue;
  }
  const { default: jsQR } = await import('jsqr');
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('no 2d canvas');
  return async (video) => {
    if (video.videoWidth === 0 || video.videoHeight === 0) return undefined;
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' })?.data;
  };
}

function cameraProblem(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'keynode may not use the camera. Allow it in this site’s settings, or paste the text instead.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found. Paste the text instead.';
  if (name === 'NotReadableError') return 'The camera is in use by another app. Close it, or paste the text instead.';
  return 'The camera could not be started. Paste the text instead.';
}

export const canScan = (): boolean => typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';

export function QrScan({ what, check, onDone }: { what: string; check: QrCheck; onDone: (text: string | undefined) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState('Starting the camera…');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  // The latest callbacks, so the camera is not restarted when the parent re-renders.
  const latest = useRef({ check, onDone });
  latest.current = { check, onDone };

  useEffect(() => {
    let stopped = false;
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let refused: string | undefined;
    void (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
        if (stopped || !video.current) return;
        video.current.srcObject = stream;
        await video.current.play();
        const decode = await frameDecoder();
        if (stopped) return;
        setStatus(`Hold the ${what} QR code in front of the camera.`);
        const tick = async (): Promise<void> => {
          if (stopped || !video.current) return;
          const text = await decode(video.current).catch(() => undefined);
          if (stopped) return;
          if (text !== undefined && text !== refused) {
            const why = latest.current.check(text);
            if (why === undefined) {
              latest.current.onDone(text);
              return;
            }
            // The same code stays in view for many frames: say why once, and keep looking for another.
            refused = text;
            setProblem(why);
          }
          timer = setTimeout(() => void tick(), FRAME_INTERVAL_MS);
        };
        void tick();
      } catch (e) {
        if (!stopped) setProblem(cameraProblem(e));
        setStatus('');
      }
    })();
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
    };
  }, [what]);

  return (
    <div class="qr-scan" role="region" aria-label={`Scan a ${what} QR code`}>
      <video ref={video} muted playsInline aria-hidden="true" />
      {status !== '' && <p aria-live="polite">{status}</p>}
      {problem !== undefined && (
        <p class="hint bad" role="alert">
          {problem}
        </p>
      )}
      <button type="button" onClick={() => latest.current.onDone(undefined)}>
        Stop scanning
      </button>
    </div>
  );
}

/**
 * A "scan" button that opens the camera in place of itself, and hands on the text of the first QR
 * code `check` accepts; nothing where the browser has no camera API (the text is pasted instead).
 */
export function ScanButton({ label, what, check, onText }: { label: string; what: string; check: QrCheck; onText: (text: string) => void }) {
  const [scanning, setScanning] = useState(false);
  if (scanning) {
    return (
      <QrScan
        what={what}
        check={check}
        onDone={(text) => {
          setScanning(false);
          if (text !== undefined) onText(text.trim());
        }}
      />
    );
  }
  if (!canScan()) return null;
  return (
    <button type="button" class="scan" onClick={() => setScanning(true)}>
      {label}
    </button>
  );
}
