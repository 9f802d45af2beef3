export { AttachmentService, type AttachmentAccounts, type AttachmentServiceDeps } from './service';
export { fetchAttachment, planPart, FULL_MESSAGE_LIMIT, FOLDER_CHANGED, type PartPlan } from './fetch-attachment';
