import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { AttachmentService } from '../attachments';

/** Attachments on demand; a cancelled call (the window went away) closes its IMAP connection. */
export function registerAttachmentServices(server: RpcServer<PetrelContract>, attachments: AttachmentService): void {
  server.handle({
    'messages.attachment': (ref, { signal }) => attachments.fetch(ref, signal),
    'messages.raw': (ref, { signal }) => attachments.raw(ref, signal),
  });
}
