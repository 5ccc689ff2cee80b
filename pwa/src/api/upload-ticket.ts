/** What identifies an upload to the gateway: its id and the capability token issued with it. */
export interface UploadTicket {
  readonly uploadId: string;
  readonly token: string;
}
