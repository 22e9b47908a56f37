import STMText
import Testing

struct SentenceSplitterTests {
    let splitter = SentenceSplitter()

    func split(_ text: String) -> [String] {
        splitter.sentences(in: text).map(\.text)
    }

    @Test func splitsOnTerminatorsBeforeCapitals() {
        #expect(
            split("Shares rose. Profits fell! Why? 2005 was good.") == [
                "Shares rose.", "Profits fell!", "Why?", "2005 was good.",
            ])
        #expect(split("Really?! Yes.") == ["Really?!", "Yes."])
        #expect(split("it fell. then it rose.") == ["it fell. then it rose."])
    }

    @Test func abbreviationsAndInitialsDoNotSplit() {
        #expect(split("Mr. Smith met Dr. Jones at 9 a.m. Monday.") == ["Mr. Smith met Dr. Jones at 9 a.m. Monday."])
        #expect(
            split("Shares in Acme Inc. Rose. The U.S. Senate agreed.") == [
                "Shares in Acme Inc. Rose.", "The U.S. Senate agreed.",
            ])
        #expect(split("J. K. Rowling wrote it. She is rich.") == ["J. K. Rowling wrote it.", "She is rich."])
        #expect(split("He ranked No. 1 in Jan. Then he fell.") == ["He ranked No. 1 in Jan. Then he fell."])
        #expect(split("Apples, pears etc. Were sold.") == ["Apples, pears etc. Were sold."])
    }

    @Test func decimalsDoNotSplit() {
        #expect(split("Growth was 3.5% in 2004. It was $1.13bn.") == ["Growth was 3.5% in 2004.", "It was $1.13bn."])
    }

    @Test func closingQuotesAndBracketsStayWithTheSentence() {
        #expect(split("He said \"it is over.\" Then he left.") == ["He said \"it is over.\"", "Then he left."])
        #expect(
            split("It worked (mostly.) \"Good,\" she said. \"Next?\" Yes.") == [
                "It worked (mostly.)", "\"Good,\" she said.", "\"Next?\"", "Yes.",
            ])
        #expect(split("Fine. “Quoted” start.") == ["Fine.", "“Quoted” start."])
    }

    @Test func ellipsisSplitsOnlyBeforeACapital() {
        #expect(split("Wait... and see... Then go.") == ["Wait... and see...", "Then go."])
        #expect(split("Wait… Then go.") == ["Wait…", "Then go."])
    }

    @Test func paragraphsAndTitlesSplit() {
        let text =
            "Ad sales boost profit\n\nQuarterly profits jumped. The firm gained.\n \nA new paragraph\nwraps here."
        #expect(
            split(text) == [
                "Ad sales boost profit", "Quarterly profits jumped.", "The firm gained.",
                "A new paragraph\nwraps here.",
            ])
        #expect(split("ends here.\nlower case line") == ["ends here.", "lower case line"])
    }

    @Test func rangesPointIntoTheOriginal() {
        let text = "  First one.   Second one!  "
        let sentences = splitter.sentences(in: text)
        #expect(sentences.map(\.text) == ["First one.", "Second one!"])
        for sentence in sentences {
            #expect(String(text[sentence.range]) == sentence.text)
        }
    }

    @Test func missingSpacesSplitWhenAsked() {
        let glued = SentenceSplitter(splitsMissingSpaces: true)
        let summary =
            "Sales rose 2% to $11.1bn from $10.9bn.For the full-year, the U.S. firm grew.It lost 464,000 users."
        #expect(
            glued.sentences(in: summary).map(\.text)
                == [
                    "Sales rose 2% to $11.1bn from $10.9bn.", "For the full-year, the U.S. firm grew.",
                    "It lost 464,000 users.",
                ])
        #expect(split("bn.For") == ["bn.For"])
    }

    @Test func quoteParityDecidesWhetherAStraightQuoteCloses() {
        let glued = SentenceSplitter(splitsMissingSpaces: true)
        #expect(
            glued.sentences(in: "It fell in recent months.\"I think so,\" he said.").map(\.text)
                == ["It fell in recent months.", "\"I think so,\" he said."])
        #expect(
            split("\"It is big. It is old.\" Critics agree.") == ["\"It is big.", "It is old.\"", "Critics agree."])
        #expect(
            split("due to \"extraordinary circumstances\". \"We\" agree.") == [
                "due to \"extraordinary circumstances\".", "\"We\" agree.",
            ])
    }

    @Test func megabyteWithoutBoundariesStaysLinear() {
        let text = String(repeating: "a. b \"c, Mr. d... e ", count: 55_000)
        let sentences = splitter.sentences(in: text)
        #expect(sentences.count == 1)
        #expect(sentences[0].text.count == text.count - 1)
    }

    @Test func emptyAndOddInputsAreTotal() {
        #expect(split("").isEmpty)
        #expect(split(" \n\n \n").isEmpty)
        #expect(split("...!?") == ["...!?"])
        #expect(split(". A") == [".", "A"])
        #expect(split("\u{FFFD}. 👍 Ok.") == ["\u{FFFD}. 👍 Ok."])  // an emoji does not start a sentence
    }
}
