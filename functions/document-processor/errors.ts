/** A document that cannot be processed, for a reason retrying cannot change: its job is dead-lettered at once. */
export class UnprocessableDocument extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnprocessableDocument";
  }
}
