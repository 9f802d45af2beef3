/** Vocabulary of the generated corpus, by language (each fits the charset it is sent in). */

export type Lang = 'en' | 'de' | 'fr' | 'ru' | 'ja';

export const WORDS: Record<Lang, readonly string[]> = {
  en: (
    'the of and to in is that for it as with was on be at by this had not are but from or have an they which one you were her all she ' +
    'there would their we him been has when who will more no if out so said what up its about into than them can only other new some ' +
    'could time these two may then do first any my now such like our over man me even most made after also did many before must through ' +
    'back years where much your way well down should because each just those people how too little state good very make world still own ' +
    'see men work long get here between both life being under never day same another know while last might us great old year off come ' +
    'since against go came right used take three meeting report budget review schedule release customer invoice draft proposal deadline ' +
    'quarter figures contract update agenda project shipment feedback migration server backup outage ticket roadmap hiring offsite'
  ).split(' '),
  de: (
    'und der die das nicht ist für über können Grüße Bericht Besprechung nächste Woche Änderung Prüfung Rückmeldung Entwurf Angebot ' +
    'Rechnung Lieferung Zürich München Köln größer schön müssen wäre Straße Mitarbeiter Überblick Zusammenfassung Termin Budget Ärger'
  ).split(' '),
  fr: (
    'le la les des est pour avec réunion semaine prochaine compte rendu café déjà élève été très garçon façade naïve Noël où ' +
    'préparer résumé budget équipe réponse délai deuxième dernière première Genève Montréal à côté reçu facture contrat'
  ).split(' '),
  ru: (
    'привет встреча отчёт неделя проект бюджет договор счёт доставка сервер обновление вопрос ответ коллеги спасибо ' +
    'пожалуйста завтра сегодня вчера Москва Петербург важно срочно документ таблица план результат решение задача ещё'
  ).split(' '),
  ja: (
    '会議 資料 確認 お願いします 来週 予定 報告書 ありがとうございます 東京 大阪 打ち合わせ プロジェクト 見積 請求書 ' +
    '契約 納品 担当 連絡 変更 対応 検討 本日 明日 昨日 問題 結果 まとめ よろしく サーバ 更新'
  ).split(' '),
};

export interface Person {
  name: string;
  address: string;
  lang: Lang;
}

export const PEOPLE: readonly Person[] = [
  { name: 'Bob Example', address: 'bob@example.test', lang: 'en' },
  { name: 'Carol Example', address: 'carol@example.test', lang: 'en' },
  { name: 'Dana Whitfield', address: 'dana.whitfield@acme.example', lang: 'en' },
  { name: 'Evan O\'Neill', address: 'evan@contoso.example', lang: 'en' },
  { name: 'Priya Natarajan', address: 'priya.n@fabrikam.example', lang: 'en' },
  { name: 'Zoë Ångström', address: 'zoe@nordic.example', lang: 'en' },
  { name: 'Jürgen Müller', address: 'j.mueller@beispiel.example', lang: 'de' },
  { name: 'Käthe Schäfer', address: 'kaethe@firma.example', lang: 'de' },
  { name: 'François Lefèvre', address: 'francois@societe.example', lang: 'fr' },
  { name: 'Hélène Dubois', address: 'helene.dubois@exemple.example', lang: 'fr' },
  { name: 'Иван Петров', address: 'ivan.petrov@primer.example', lang: 'ru' },
  { name: 'Ольга Смирнова', address: 'olga@kompania.example', lang: 'ru' },
  { name: '山田 太郎', address: 'yamada@rei.example', lang: 'ja' },
  { name: '佐藤 花子', address: 'sato.hanako@kaisha.example', lang: 'ja' },
  { name: 'GitHub', address: 'noreply@github.example', lang: 'en' },
  { name: 'Billing', address: 'billing@saas.example', lang: 'en' },
];

/** Decorations only UTF-8 mail carries. */
export const UTF8_EXTRAS: readonly string[] = ['✓', '🎉', '—', '€', '→', '“quoted”', '日本語', 'naïve', 'Ελληνικά', '🚀'];

export const ATTACHMENTS: ReadonlyArray<{ name: string; type: string }> = [
  { name: 'report-Q3.pdf', type: 'application/pdf' },
  { name: 'screenshot.png', type: 'image/png' },
  { name: 'photo.jpg', type: 'image/jpeg' },
  { name: 'minutes.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  { name: 'figures.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  { name: 'archive.zip', type: 'application/zip' },
  { name: 'Übersicht 2024.pdf', type: 'application/pdf' },
  { name: '見積書.pdf', type: 'application/pdf' },
];
