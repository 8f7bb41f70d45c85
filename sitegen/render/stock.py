"""The SHA-256 of each of sitegen's own templates: those its pages' narrow cache keys were
written for (see `html.edition_or_none`). A fixed record, not the files on disk: in a source
checkout the project's templates folder may be sitegen's own, edited. tests/test_cache.py
checks it against templates/; a changed template needs its line here, once its pages' inputs
(`SiteRenderer.*_inputs`, `epub._Renderer.chapter_inputs`) say what it now shows."""

STOCK_TEMPLATES = {
    "404.html": "bef8b9a75cae85e662429f2884a09b6d4181d78daa8ec405494972540b54aee9",
    "base.html": "465004484060ef694f5ea8a79d02f432bc7f4ececb9879ee0ef05bef0d4e4a7e",
    "chapter.html": "0333799f52a03037f65c30466ab3cbf6610a81bdafd9d6127b83262f5650edd1",
    "character.html": "9c91e6c228a2690430b71401579cc17a553f2ec08ef75c3793945cb9bdef669d",
    "characters.html": "417ca352557275e6e62788a67a4f5716cdfdc405d802fa656eda707a394cb48e",
    "epub/base.xhtml": "a7c6e73d5fe12333f4e45ba0a10490f5899f25a18fae78b4857df8586233ac48",
    "epub/book.css": "23c88a48cc68009f5086840a78cd31927aa9b4249000b47a7f7778400bca8852",
    "epub/chapter.xhtml": "e76a49d4d7aebbaa18fb63cb2238009a052261ef4b450e2d9480a3451ae086d7",
    "epub/characters.xhtml": "ad9166acddaf91e02a3c0f6c89465b9dedd29d3e5a01e1807666bfe511a83970",
    "epub/colophon.xhtml": "d036add37746468f8def47cdb05f55e182aa586210e2cc69c73811cfc12578cf",
    "epub/container.xml": "6e1d5ea1d24ff6075fec38af651a1aec9369971764f8f5578a8b25774fcc213a",
    "epub/cover.xhtml": "a6d64005a644b103cce2aa0a55b42716ff9988d322ddc5b5e37e5fafa7e0fb4a",
    "epub/nav.xhtml": "e9480092632ba6957aa178648e769be445b36feb94281baa157a1fbcdd75e452",
    "epub/package.opf": "d599673b6529161e10bb7fbaa379c1141497383ac712286d5fc450405f689327",
    "epub/titlepage.xhtml": "fdd836a114c98a2eeffc882b4dac91d2ae9257078450119b2927160bd169e6f1",
    "epub/toc.ncx": "ec688c4dd312ad4eaa294542ff4f402fb13d4e84645fb53cbd1b878ca4685f57",
    "index.html": "97a2c693aee3d94ffd787f0b009c1ec29e03c485214928cfb3f0290eec048ac2",
    "moved.html": "ba3a62a889d0c56206bd2df140b1946a6fed4bb15f1347e321e4afccce2df4ab",
}
