import { useMemo } from 'react';
import { FRAME_SANDBOX, frameDocument } from './frame-document';

export interface MessageFrameProps {
  /** Output of sanitizeMessageHtml: never pass unsanitized mail here. */
  html: string;
  title?: string;
}

/**
 * Shows sanitized mail HTML in a sandboxed frame: no scripts, no same-origin access to the
 * app, no forms; links may only open a new window (outside the app, by the shell's
 * window-open rules). The frame fills its container and scrolls itself: without scripts
 * or same-origin access nobody can measure the mail's height, and none is needed.
 */
export function MessageFrame({ html, title = 'Message content' }: MessageFrameProps) {
  const doc = useMemo(() => frameDocument(html), [html]);
  return (
    <iframe
      className="reader-frame"
      title={title}
      sandbox={FRAME_SANDBOX}
      srcDoc={doc}
      referrerPolicy="no-referrer"
      // Nothing in mail needs powerful features; deny the ones a frame could be granted.
      allow="camera 'none'; microphone 'none'; geolocation 'none'; fullscreen 'none'; payment 'none'; clipboard-read 'none'; clipboard-write 'none'"
    />
  );
}
