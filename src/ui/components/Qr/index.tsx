// A QR code of some text (a NodeId, a share link) drawn as SVG, for a phone's camera. The encoder
// is loaded when the first code is drawn: it is not part of the page's start-up code.
import { useEffect, useState } from 'preact/hooks';

export function Qr({ text, label }: { text: string; label: string }) {
  const [svg, setSvg] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    import('qrcode')
      .then(({ default: QRCode }) => QRCode.toString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' }))
      .then((s) => live && setSvg(s))
      .catch(() => live && setSvg(undefined));
    return () => {
      live = false;
    };
  }, [text]);
  if (svg === undefined) return null;
  return <div class="qr" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: svg }} />;
}
