/** Address autocomplete: an index of addresses seen in mail (indexer.ts), ranked (rank.ts). */
export { ContactBook, contactBook } from './book';
export { indexContacts, startContactIndexer, tally } from './indexer';
export { contactScore, matches, rankContacts } from './rank';
